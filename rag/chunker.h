#pragma once
// Cuts a document's pages into passages of at most N tokens (as the encoder counts them), cut at
// sentence boundaries, consecutive passages overlapping by about `overlap` of N (whole
// sentences). A sentence longer than N is cut at word boundaries, a word longer than N at
// character boundaries. Each passage knows its pages, its byte span in the normalized page
// texts and the PDF word boxes it covers (to highlight it on the page).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rag/pdf_reader.h"
#include "rag/sentence_splitter.h"
#include "rag/text_normalizer.h"

namespace pgpp::rag {

// Number of tokens the encoder makes of a text (without special tokens).
using TokenCounter = std::function<int(std::string_view)>;

struct ChunkerOptions {
  int max_tokens = 200;
  double overlap = 0.15;     // share of max_tokens repeated from the previous passage
  std::string locale = "en";  // abbreviation list for sentence breaks
};

struct PassageBox {
  int page = 0;  // 1-based
  WordBox box;
};

struct Passage {
  int ordinal = 0;  // 0-based position in the document
  std::string text;
  int tokens = 0;
  int page_first = 0, page_last = 0;  // 1-based
  // Byte span: `begin` in page_first's normalized text, `end` in page_last's. A passage over
  // several pages is page_first.text[begin:] + '\n' + (middle pages + '\n') + page_last.text[:end].
  uint32_t begin = 0, end = 0;
  std::vector<PassageBox> boxes;
};

struct ChunkedDocument {
  // Normalized text per page (index = page number - 1); empty for pages without usable text.
  std::vector<NormalizedText> pages;
  std::vector<Passage> passages;
};

class Chunker {
 public:
  Chunker(TokenCounter count_tokens, ChunkerOptions options = {});

  // Only pages with status kText are chunked.
  ChunkedDocument chunk(const PdfDocument& doc);
  const ChunkerOptions& options() const { return options_; }

 private:
  struct Unit;
  void split_long(std::string_view doc_text, uint32_t begin, uint32_t end, std::vector<Unit>& out);
  void cut_characters(std::string_view doc_text, uint32_t begin, uint32_t end, std::vector<Unit>& out);

  TokenCounter count_;
  ChunkerOptions options_;
  SentenceSplitter splitter_;
};

}  // namespace pgpp::rag
