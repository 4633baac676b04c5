// quotient: entry point. Everything lives in libraries the tests link; see cli.h.
#include <iostream>
#include <string>
#include <vector>

#include "extender/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return quotient::extender::RunCli(args, std::cout, std::cerr);
}
