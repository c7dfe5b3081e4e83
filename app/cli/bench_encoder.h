#pragma once
// `pgpp bench encoder`: passages per second at 32, 128 and 256 tokens per passage (batch 32),
// and peak memory. The passages are the ones tests/reference/bench_encoder_reference.py times
// for the reference, so the two can be compared.
#include <string>

namespace pgpp::app {

// A passage of exactly `tokens` tokens for the default (uncased WordPiece) encoder, [CLS] and
// [SEP] included: common one-token English words, repeated.
std::string bench_passage(int tokens);

}  // namespace pgpp::app
