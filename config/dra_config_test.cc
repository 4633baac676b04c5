// dra.deviceClasses in the settings file (server_config.h): what loads, and every error
// named with its field path and line.
#include <gtest/gtest.h>

#include "config/server_config.h"

namespace quotient::config {
namespace {

using quota::DeviceChargeMode;

bool Load(std::string_view yaml, Settings* s, ConfigErrors* errors) {
  return LoadSettings(yaml, "q.yaml", s, errors);
}

TEST(DraConfigTest, NoDraSectionMeansNoMapping) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(Load("log: {level: info}\n", &s, &errors)) << FormatErrors(errors);
  EXPECT_TRUE(s.dra.device_classes.empty());
}

TEST(DraConfigTest, WholeGpusMigCountersAndCapacityLoad) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(Load(R"(
dra:
  deviceClasses:
  - {deviceClass: gpu.nvidia.com, resource: nvidia.com/gpu}
  - deviceClass: mig.nvidia.com
    resource: quotient.io/gpu-memory-slices
    mode: counter
    source: memory-slice-*
    driver: gpu.nvidia.com
  - {deviceClass: shared.gpu.example.com, resource: quotient.io/gpu-memory, mode: capacity,
     source: memory, driver: gpu.example.com}
)",
                   &s, &errors))
      << FormatErrors(errors);
  ASSERT_EQ(s.dra.device_classes.size(), 3u);
  EXPECT_EQ(s.dra.device_classes[0].device_class, "gpu.nvidia.com");
  EXPECT_EQ(s.dra.device_classes[0].resource, "nvidia.com/gpu");
  EXPECT_EQ(s.dra.device_classes[0].mode, DeviceChargeMode::kDevices);
  EXPECT_EQ(s.dra.device_classes[1].mode, DeviceChargeMode::kCounter);
  EXPECT_EQ(s.dra.device_classes[1].source, "memory-slice-*");
  EXPECT_EQ(s.dra.device_classes[1].driver, "gpu.nvidia.com");
  EXPECT_EQ(s.dra.device_classes[2].mode, DeviceChargeMode::kCapacity);
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* path;
  int line;
  const char* message_part;
};

class DraConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(DraConfigErrorTest, IsRefusedNamingTheFieldAndLine) {
  const BadCase& c = GetParam();
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(Load(c.yaml, &s, &errors));
  ASSERT_FALSE(errors.empty());
  bool found = false;
  for (const ConfigError& e : errors) {
    if (e.path == c.path && e.line == c.line &&
        e.message.find(c.message_part) != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << FormatErrors(errors);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DraConfigErrorTest,
    ::testing::Values(
        BadCase{"an_unknown_mode",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r, "
                "mode: bytes}\n",
                "dra.deviceClasses[0].mode", 3, "devices, counter or capacity"},
        BadCase{"a_missing_class", "dra:\n  deviceClasses:\n  - {resource: r}\n",
                "dra.deviceClasses[0].deviceClass", 3, "must name a DeviceClass"},
        BadCase{"a_missing_resource", "dra:\n  deviceClasses:\n  - {deviceClass: a}\n",
                "dra.deviceClasses[0].resource", 3, "quota resource"},
        BadCase{"a_counter_without_source",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r, mode: counter, "
                "driver: d}\n",
                "dra.deviceClasses[0].source", 3, "shared counter"},
        BadCase{"a_capacity_without_driver",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r, mode: capacity, "
                "source: memory}\n",
                "dra.deviceClasses[0].driver", 3, "needs the driver"},
        BadCase{"a_source_on_devices",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r, source: x}\n",
                "dra.deviceClasses[0].source", 3, "remove source"},
        BadCase{"a_class_mapped_twice",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r}\n"
                "  - {deviceClass: a, resource: s}\n",
                "dra.deviceClasses[1].deviceClass", 4, "mapped twice (also dra.deviceClasses[0])"},
        BadCase{"an_unknown_field",
                "dra:\n  deviceClasses:\n  - {deviceClass: a, resource: r, class: b}\n",
                "dra.deviceClasses[0].class", 3, "unknown"},
        BadCase{"not_a_list", "dra:\n  deviceClasses: {deviceClass: a}\n", "dra.deviceClasses", 2,
                "expected a list"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DraConfigTest, SettingsBuiltInCodeAreCheckedByTheDomainRules) {
  Settings s;
  s.dra.device_classes = {{"a", "r", DeviceChargeMode::kDevices, "", ""},
                          {"a", "s", DeviceChargeMode::kDevices, "", ""}};
  ConfigErrors errors;
  EXPECT_FALSE(ValidateSettings(s, "code", &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].path, "dra.deviceClasses[1]");
  EXPECT_NE(errors[0].message.find("mapped twice"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace quotient::config
