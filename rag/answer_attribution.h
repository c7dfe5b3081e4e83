#pragma once
// Small local decoders often copy a source's sentences without writing its [n]. So that a person
// can still check every statement, each answer sentence that carries no marker is matched to the
// source that holds most of its words; only a clear match counts (most of a sentence's words,
// several of them), so a made-up sentence stays unmatched. Matches are shown apart from the
// model's own citations, never mixed into its text.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgpp::rag {

struct MatchedCitation {
  int number = 0;         // the source, 1-based like the model's [n]
  std::size_t begin = 0;  // byte span of the answer sentence it supports
  std::size_t end = 0;
  double overlap = 0;  // share of the sentence's words found in the source
};

struct AttributionOptions {
  std::size_t min_words = 5;  // shorter sentences ("Yes.") say too little to attribute
  double min_overlap = 0.75;  // share of the sentence's distinct words the source must hold
};

// Sentences of `answer` that hold no [n] marker, each matched to its best source, if clear.
std::vector<MatchedCitation> match_uncited_sentences(std::string_view answer,
                                                     const std::vector<std::string>& source_texts,
                                                     AttributionOptions options = {});

}  // namespace pgpp::rag
