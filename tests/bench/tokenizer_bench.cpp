// Encode and decode throughput of the tokenizers, in MB of text per second, on ~300 KB of
// English licence text (Debian's /usr/share/common-licenses) plus the multilingual golden strings.
//   build/release/bin/pgpp_tokenizer_bench [--benchmark_filter=...]
// Vocabularies: the default decoder's (SmolLM2) and, when the set-up script installed them,
// Llama 3's, Qwen2's and Llama 2's (SentencePiece).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "app/model_locations.h"
#include "kernels/gguf_file.h"
#include "llm/tokenizer.h"

namespace {

using pgpp::llm::Tokenizer;

std::string bench_text() {
  std::string text;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/share/common-licenses", ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    text.append(std::istreambuf_iterator<char>(in), {});
  }
  // The golden strings hold German, Russian, CJK, Arabic, emoji, code: hex-decoded first column.
  // Found from this file's own path (the bench programs get no data-dir definition).
  std::ifstream g(std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "tokenizer" / "smollm2.tsv");
  std::string line;
  while (std::getline(g, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string hex = line.substr(0, line.find('\t'));
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    text += '\n';
  }
  return text;
}

struct Loaded {
  std::unique_ptr<pgpp::kernels::GgufFile> file;
  std::unique_ptr<Tokenizer> tokenizer;
};

Loaded load(const std::string& name) {
  const std::filesystem::path p = name == "smollm2"
                                      ? pgpp::app::default_decoder_path()
                                      : pgpp::app::models_dir() / "llama-vocabs" / ("ggml-vocab-" + name + ".gguf");
  Loaded l;
  if (!std::filesystem::exists(p)) return l;
  l.file = std::make_unique<pgpp::kernels::GgufFile>(p);
  l.tokenizer = Tokenizer::from_gguf(*l.file);
  return l;
}

void BM_Encode(benchmark::State& state, const std::string& name) {
  const Loaded l = load(name);
  if (!l.tokenizer) {
    state.SkipWithError(("vocabulary " + name + " is not installed (packaging/setup.sh)").c_str());
    return;
  }
  const std::string text = bench_text();
  std::size_t tokens = 0;
  for (auto _ : state) {
    const auto ids = l.tokenizer->encode(text, false, true);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["text_KB"] = static_cast<double>(text.size()) / 1024.0;
  state.counters["tokens"] = static_cast<double>(tokens);
}

void BM_Decode(benchmark::State& state, const std::string& name) {
  const Loaded l = load(name);
  if (!l.tokenizer) {
    state.SkipWithError(("vocabulary " + name + " is not installed (packaging/setup.sh)").c_str());
    return;
  }
  const std::string text = bench_text();
  const auto ids = l.tokenizer->encode(text, false, true);
  for (auto _ : state) {
    const std::string out = l.tokenizer->decode(ids);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}

BENCHMARK_CAPTURE(BM_Encode, smollm2, std::string("smollm2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama_bpe, std::string("llama-bpe"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen2, std::string("qwen2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama_spm, std::string("llama-spm"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, smollm2, std::string("smollm2"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
