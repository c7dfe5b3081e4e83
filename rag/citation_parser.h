#pragma once
// Finds the source markers a model writes in a grounded answer: "[1]", "[1][2]", "[1, 2]",
// "[1-3]" and "[Source 2]" all count; each number is kept with the byte span of its marker so
// that a viewer can link it. Numbers outside 1..source_count are kept apart (out of range): an
// answer that cites them, or cites nothing, cannot be trusted as grounded.
#include <cstddef>
#include <string_view>
#include <vector>

namespace pgpp::rag {

struct CitationMarker {
  int number = 0;          // as written, 1-based
  std::size_t begin = 0;   // byte span of the whole bracket in the answer
  std::size_t end = 0;
  bool in_range = false;   // 1 <= number <= source_count
};

struct ParsedCitations {
  std::vector<CitationMarker> markers;  // in text order, one per number
  std::vector<int> cited;               // in-range numbers, unique, in order of first appearance
  std::vector<int> out_of_range;        // unique, in order of first appearance
};

ParsedCitations parse_citations(std::string_view text, int source_count);

}  // namespace pgpp::rag
