#pragma once
/// A store in its own temporary data directory for each test (named by
/// process and test, removed afterwards), with its store writer: the
/// fixture every engine/AQL test over real SQLite files starts from.
/// Subclasses seed it in their own SetUp after calling this one.

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/store_writer.hpp"

namespace themis::testing {

class temp_store : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("themis_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    opts_.data_dir = dir_.string();
    opts_.synchronous_full = false;
    writer_ = std::make_unique<engine::store_writer>(opts_);
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  engine::store_options opts_;
  std::unique_ptr<engine::store_writer> writer_;
};

} // namespace themis::testing
