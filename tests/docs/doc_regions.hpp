// SPDX-License-Identifier: BSD-3-Clause
// Keeps the code in the docs equal to code the test suite compiles and runs. A test source marks
// a region with two comment lines
//     // [doc:NAME]
//     ...code shown in the docs...
//     // [/doc:NAME]
// and the Markdown file puts `<!-- doc:NAME -->` (invisible when rendered) on the line before the
// fenced code block that shows it. Every region must have its block and every marked block its
// region, with exactly the same lines.
#pragma once

#include <cstddef>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace skm::docs_test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      break;
    }
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// The NAME of a line `<open>NAME<close>` (surrounding blanks ignored), if it has that shape.
inline std::optional<std::string> marker_name(std::string_view line, std::string_view open,
                                              std::string_view close) {
  line = trim(line);
  if (line.size() <= open.size() + close.size() || !line.starts_with(open) ||
      !line.ends_with(close))
    return std::nullopt;
  return std::string(line.substr(open.size(), line.size() - open.size() - close.size()));
}

using regions = std::map<std::string, std::vector<std::string>>;

/// The marked regions of a source file. Throws on a nested, unclosed, stray or repeated marker.
inline regions source_regions(std::string_view text) {
  regions out;
  std::optional<std::string> open;
  for (const auto& line : split_lines(text)) {
    if (const auto end = marker_name(line, "// [/doc:", "]")) {
      if (!open || *open != *end)
        throw std::runtime_error("doc region end without its start: " + *end);
      open.reset();
    } else if (const auto start = marker_name(line, "// [doc:", "]")) {
      if (open) throw std::runtime_error("doc region " + *start + " starts inside " + *open);
      if (out.contains(*start)) throw std::runtime_error("doc region repeated: " + *start);
      open = *start;
      out[*start];
    } else if (open) {
      out[*open].push_back(line);
    }
  }
  if (open) throw std::runtime_error("doc region not closed: " + *open);
  return out;
}

/// The marked code blocks of a Markdown file. Throws when a marker is not followed by a fenced
/// block, a block is not closed, or a name repeats.
inline regions markdown_blocks(std::string_view text) {
  regions out;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto name = marker_name(lines[i], "<!-- doc:", " -->");
    if (!name) continue;
    if (out.contains(*name)) throw std::runtime_error("doc block repeated: " + *name);
    if (i + 1 >= lines.size() || !lines[i + 1].starts_with("```"))
      throw std::runtime_error("doc marker without a code block: " + *name);
    auto& block = out[*name];
    std::size_t j = i + 2;
    for (; j < lines.size() && lines[j] != "```"; ++j) block.push_back(lines[j]);
    if (j == lines.size()) throw std::runtime_error("doc code block not closed: " + *name);
    i = j;
  }
  return out;
}

/// The report of the first line where a region and its block differ.
inline std::string line_difference(const std::string& name, std::size_t line, const std::string& a,
                                   const std::string& b) {
  return "region " + name + ", line " + std::to_string(line) + ": source `" + a + "`, document `" +
         b + "`";
}

/// Empty when every region equals its block; otherwise one line per difference.
inline std::vector<std::string> differences(const regions& source, const regions& doc) {
  std::vector<std::string> out;
  for (const auto& [name, lines] : source) {
    const auto it = doc.find(name);
    if (it == doc.end()) {
      out.push_back("region " + name + " has no code block in the document");
      continue;
    }
    const auto& shown = it->second;
    for (std::size_t k = 0; k < lines.size() || k < shown.size(); ++k) {
      const std::string a = k < lines.size() ? lines[k] : "<end of region>";
      const std::string b = k < shown.size() ? shown[k] : "<end of block>";
      if (a != b) {
        out.push_back(line_difference(name, k + 1, a, b));
        break;
      }
    }
  }
  for (const auto& [name, lines] : doc)
    if (!source.contains(name))
      out.push_back("document block " + name + " has no region in the source");
  return out;
}

}  // namespace skm::docs_test
