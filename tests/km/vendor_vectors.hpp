// SPDX-License-Identifier: BSD-3-Clause
// The vendor MIKEY-SAKKE private-call message and its community and key sets
// (specs/vectors/mcx-pck-example.md), for the key-management tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace skm::km::test::vendor {

inline constexpr std::string_view kms_uri = "kms.mydev.streamwide.com";
inline constexpr std::uint64_t key_period = 16777215;
inline constexpr std::uint64_t key_offset = 0;
inline constexpr std::string_view z =
    "046fc2cf00fd48467abe7c02f383002fc49b6632bf0f7071d958f1f128154e6fae1f69bb91691a191a358fe647a3e020d2365d52f81fb3af4ea271654f1a880274"
    "c1ae228ac72cc15d535394321bd2143cea2619fb3b0c6ce7a5f72714d8ef4d11cb0c991c3376ca31b168b01e66021effdbf7920bd66615e6f0d6a1e61c06e72e61"
    "b4138738c11bc249a3849e9c4cff327a7d0d2769c3d97a37f86adfb13baa257e628ce236f40360d3f7b8d95b0e3fcc19417602d7d6b8928b855eae9129be1f0b87"
    "d33e884906dd95a04a8bd61240bad60f9dfada64806726f8f08b86343f54046416f5198116e9798c218bcf9ca07d0baa4be50062bfe54e44495b6ed59cb6";
inline constexpr std::string_view kpak =
    "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e8205b29fbd8591cb582d6402add21451ce4beebeaaa7520e93b11cf28f";

inline constexpr std::uint64_t period_no = 236;

inline constexpr std::string_view alice_uri = "sip:alice@streamwide.com";
inline constexpr std::string_view alice_uid =
    "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4";
inline constexpr std::string_view alice_rsk =
    "0428b44cd6dffd2e7fe73521a5c514738287df177c1ae841ba6f5d72601b9c6bc5509c3fd800ac1fee833dd81c74ab39d2740a10fba25cd9b0debb25a3da958cf5"
    "2e35e863d2db37ea22b318d23d9911d36f585eb110e430123f3cd84d2692a4013bc7f59533e5da2083d8e6e8b96764eb8e8be599dc2361e7428460b8490200417b"
    "aa5bac10efaa5262301b3110f6da9e8bc9c4b62827c3d4f4070a8e341346a326a23f219d2a99298036615956bb85a60cf303d15d469c1ee837c29cba5dccb28d74"
    "e4ba0d83dac9400d72eecb1817cc60127203f1321e82b7a24f60c07f1804a9895cbb455a94694a5ef627b1c631760295dad53f0eed1714ba52d5a932bddd";
inline constexpr std::string_view alice_ssk =
    "a1be54a56c7905c06abd2be177fc0c137a32278c9067550b0f0d93fb630d2428";
inline constexpr std::string_view alice_pvt =
    "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8";

inline constexpr std::string_view bob_uri = "sip:bob@streamwide.com";
inline constexpr std::string_view bob_uid =
    "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81";
inline constexpr std::string_view bob_rsk =
    "04421d385f108bd51f66abbce40b899efe187dbb08085d9a535fca8766677db317812e48da407235d73399d4d2e2ed4f5a35d7694b64595ce0599e4d3592f5b57e"
    "de83890fd798aec2cd96f333d6139d9f7ecfecbb79b769f5fbbc6825beeb25999acdf6fb2edd369176f45db0caf5909aa81512e57064c46ae1c23df9284ffba557"
    "41cde0b7a8145fdbea76b4ee243d79bd70db4300c55570f342ca0df98e8f3b410e1df4ccbdd279403d3da06cad4c5db8d4e078a191a7a0545391e8ca72e51c7934"
    "48c4ba8be71fbac90a84ded3d6127c4d7438a3132f354b283d65da75a5070ecd96f02d694c505efcb05caf2290bf15ee45c15a0e652496b88acbaf1d26a3";
inline constexpr std::string_view bob_ssk =
    "a36885736f21b6ceba48448093086f4ada1ce099bd77e3047c04529ac3f4d4eb";
inline constexpr std::string_view bob_pvt =
    "049c203fda536ae9481eb7f3a1e4662d0adaa6a3b7d3fff0c2dfadd148a754af424d434253b62dcd08eb6aedb6cd091e09f8539d41d3ef2d0ce07e8ead352f2dd9";

inline constexpr std::string_view pck = "b4c96b703acd5c1bf7d4cc45068d9965";
inline constexpr std::uint32_t pck_id = 0x16992638;
inline constexpr std::string_view rand = "02a28bddaf984c5e0563bc1ce857df83";
inline constexpr std::string_view key_parameters_plain = "0100000001000000000000000000000000";

/// The message as carried in SDP (RFC 4567 a=key-mgmt).
inline constexpr std::string_view sdp_line =
    "a=key-mgmt:mikey "
    "ARoFARaZJjgAAQsA7ImNqAAAAAAOEAKii92vmExeBWO8HOhX34MOCAEAILXEUjCSGdpqPYBWFVSNbBsPTeRaa0j7E9miTYV/wD3EDgkBACB4CFHNqRqcM/lBzTooMWl+KJMmR1TjY/"
    "igzvgn6yAagQ4GAQAYa21zLm15ZGV2LnN0cmVhbXdpZGUuY29tCgcBABhrbXMubXlkZXYuc3RyZWFtd2lkZS5jb20aAAAAGwABBgEBEAIBBAQBDAUBAAYBABIBBBMBABQBEBUBAgERBF0yVtvy"
    "B49KhE+ao3Hj8W+gNROh57Tk5/9BWa2jNv1YLxYpBxV7206wlv/WHWlzz+NgptVcWgECwaekKAGURuP4TA+dRQpkGvqW8wImX2EF8Zjy+a1pOZMZ3YFAYRiYEAAGmOByWKdDDOT0TfgL2pPF"
    "XS1CvZ/bZtQL03Q8fL/JInBbnv4dSYiJ9/fkeeqg37yIRsjA3Xfds7k/2o4f0s4NisOs74F2xjE12l3/764H+g1y2rAMAWkjaJbS9jbVfZNGDauoRhq8zuXEXH1c5ftqs4VEPeOPmWjAkW1rQe8K"
    "xkZbmtrygtNpBIXVeZZEyorzD+MyQ2zL9xoGVs8cToze4NOxYt19SOInSpGO5Q0vBAcAREMAAAAAAQAAAAAAAfb0FW9YVClhy8qPsQ5m8WcWmSY4AAAhpTVAAi78zLNoUFiVPGjByx4N9U9g"
    "ccPiQl1eiCiFLm8BIIFAPW9oE9lYM5oS5nQS9bWbJzGv+vWNAh2uUWmyG/OTGMeFzAD0JFMB6zcf7ck7GFns2OEPIGGx+7046le+CihyBCbNiwozr5s4HuU+vGhBrtXByY+w0r65x/+Y18eY"
    "CNH1ZmWfa3NQFhkt2ZhN9W5U8/lcdqxGOMHz0yKPPHUsjMg=";

}  // namespace skm::km::test::vendor
