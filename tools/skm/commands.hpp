// SPDX-License-Identifier: BSD-3-Clause
// The commands of the skm tool. Each takes the arguments after its name, prints its own --help,
// and returns the exit code (or throws usage_error / failure, see cli.hpp).
#pragma once

#include <span>

namespace skm::cli {

int run_uid(std::span<char* const> args);
int run_kms_init(std::span<char* const> args);
int run_kms_provision(std::span<char* const> args);
int run_kms_inspect(std::span<char* const> args);
#ifdef SKM_WITH_KMS_SERVICE
int run_kms_serve(std::span<char* const> args);  // cmd_kms_serve.cpp
int run_kms_fetch(std::span<char* const> args);  // cmd_kms_fetch.cpp
#endif
#ifdef SKM_WITH_KMS_SECURITY
int run_kms_trk(std::span<char* const> args);  // cmd_kms_trk.cpp
#endif
#ifdef SKM_WITH_KMS_STATE
int run_kms_revoke(std::span<char* const> args);       // cmd_kms_state.cpp
int run_kms_unrevoke(std::span<char* const> args);     // cmd_kms_state.cpp
int run_kms_revocations(std::span<char* const> args);  // cmd_kms_state.cpp
int run_kms_audit(std::span<char* const> args);        // cmd_kms_state.cpp
int run_kms_certcache(std::span<char* const> args);    // cmd_kms_state.cpp
#endif
int run_imsg_create(std::span<char* const> args);
int run_imsg_open(std::span<char* const> args);
int run_imsg_dump(std::span<char* const> args);
int run_imsg_keys(std::span<char* const> args);
int run_demo(std::span<char* const> args);
int run_gms_rekey(std::span<char* const> args);  // cmd_gms.cpp

}  // namespace skm::cli
