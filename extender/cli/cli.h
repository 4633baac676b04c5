// The `quotient` command line: sub-commands, flags and their help texts.
//
//   quotient serve [--config FILE] [--listen HOST:PORT] [...]
//   quotient check FILE...
//   quotient simulate [--output text|json] SCENARIO.yaml
//   quotient top [--server URL] [--output text|json]
//   quotient explain NAMESPACE/POD [--server URL] [--output text|json]
//   quotient version
//   quotient help [COMMAND] | --help | -h
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace quotient::extender {

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace quotient::extender
