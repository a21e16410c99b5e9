// SPDX-License-Identifier: BSD-3-Clause
// The libFuzzer entry point that every fuzz target defines and replay_main.cpp calls, declared in
// one place: a unity build compiles a target and the replay runner as one unit.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
