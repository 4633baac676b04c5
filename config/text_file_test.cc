#include "config/text_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/gpu_catalog_yaml.h"
#include "config/quota_yaml.h"
#include "config/scenario.h"
#include "config/server_config.h"

namespace quotient::config {
namespace {

namespace fs = std::filesystem;

class TextFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quotient-text-file-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  fs::path dir_;
};

TEST_F(TextFileTest, AFileWithinTheCapIsReadWhole) {
  const std::string path = Write("a.yaml", "abc\n");
  std::string text;
  ConfigErrors errors;
  EXPECT_TRUE(ReadTextFile(path, 4, &text, &errors));
  EXPECT_EQ(text, "abc\n");
  EXPECT_TRUE(errors.empty());
}

TEST_F(TextFileTest, AFileOverTheCapIsOneErrorNamingTheLimitAndTheSetting) {
  const std::string path = Write("a.yaml", "abcde");
  std::string text = "unchanged";
  ConfigErrors errors;
  EXPECT_FALSE(ReadTextFile(path, 4, &text, &errors, kMaxFileBytesSetting));
  EXPECT_EQ(text, "unchanged");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            path + ": the file holds more than 4 bytes, the limit (server.limits.maxFileBytes)");
}

TEST_F(TextFileTest, MissingFilesAndDirectoriesAreOneErrorEach) {
  std::string text;
  ConfigErrors errors;
  EXPECT_FALSE(ReadTextFile((dir_ / "none.yaml").string(), 4, &text, &errors));
  EXPECT_FALSE(ReadTextFile(dir_.string(), 4, &text, &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "cannot read the file: No such file or directory");
  EXPECT_EQ(errors[1].message, "cannot read the file: it is a directory");
}

TEST_F(TextFileTest, EveryFileLoaderAppliesTheCap) {
  const std::string big = Write("big.yaml", "# " + std::string(kDefaultMaxFileBytes, 'x') + "\n");
  auto refused = [&](const ConfigErrors& errors) {
    return errors.size() == 1 && errors[0].message.starts_with("the file holds more than 4194304");
  };
  ConfigErrors errors;
  quota::QuotaNodeSpec root;
  EXPECT_FALSE(LoadQuotaTreeFile(big, &root, &errors));
  EXPECT_TRUE(refused(errors));
  // The default cap (quotient check, scenarios, the settings file) names no setting.
  EXPECT_EQ(errors[0].message, "the file holds more than 4194304 bytes, the limit");
  errors.clear();
  Scenario scenario;
  EXPECT_FALSE(LoadScenarioFile(big, &scenario, &errors));
  EXPECT_TRUE(refused(errors));
  EXPECT_EQ(errors[0].message, "the file holds more than 4194304 bytes, the limit");
  errors.clear();
  Settings settings;
  EXPECT_FALSE(LoadSettingsFile(big, &settings, &errors));
  EXPECT_TRUE(refused(errors));
  EXPECT_EQ(errors[0].message, "the file holds more than 4194304 bytes, the limit");
  errors.clear();
  gpu::MigCatalog catalog;
  EXPECT_FALSE(LoadGpuCatalogFile(big, gpu::BuiltinMigCatalog(), &catalog, &errors));
  EXPECT_TRUE(refused(errors));
  // A caller's own cap applies instead of the default; quotient serve's names its setting.
  errors.clear();
  const std::string small = Write("q.yaml", "kind: Namespace\n");
  EXPECT_FALSE(LoadQuotaTreeFile(small, &root, &errors, 8));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "the file holds more than 8 bytes, the limit");
  errors.clear();
  EXPECT_FALSE(LoadGpuCatalogFile(small, gpu::BuiltinMigCatalog(), &catalog, &errors, 8,
                                  kMaxFileBytesSetting));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "the file holds more than 8 bytes, the limit (server.limits.maxFileBytes)");
}

TEST_F(TextFileTest, TheCapIsASetting) {
  Settings settings;
  ConfigErrors errors;
  EXPECT_EQ(settings.server.limits.max_file_bytes, kDefaultMaxFileBytes);
  ASSERT_TRUE(
      LoadSettings("server:\n  limits: {maxFileBytes: 16Mi}\n", "q.yaml", &settings, &errors));
  EXPECT_EQ(settings.server.limits.max_file_bytes, 16ull << 20);
}

}  // namespace
}  // namespace quotient::config
