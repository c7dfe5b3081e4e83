#include "rag/retriever.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "embed/encoder.h"
#include "rag/vector_index.h"

namespace pgpp::rag {

namespace {

struct Candidate {
  int64_t passage_id = 0;
  double score = 0;
  int dense_rank = 0, bm25_rank = 0;
};

// Text of a span over page texts, as the chunker defines passage spans; empty when the stored
// pages do not hold it (then the caller joins the passages' own texts).
std::string span_text(const Library& lib, int64_t doc, int page_first, uint32_t begin,
                      int page_last, uint32_t end) {
  std::string out;
  for (int p = page_first; p <= page_last; ++p) {
    const std::string page = lib.page_text(doc, p);
    const std::size_t from = p == page_first ? begin : 0;
    const std::size_t to = p == page_last ? end : page.size();
    if (from > to || to > page.size()) return {};
    if (p != page_first) out += '\n';
    out.append(page, from, to - from);
  }
  return out;
}

// The words of a text: runs of letters/digits (any non-ASCII byte counts as a letter), with
// ASCII letters lower-cased.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      w += static_cast<char>(std::tolower(c));
    } else if (!w.empty()) {
      out.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

// Function words of the languages whose questions the product is tested on (English, German,
// French, Spanish): articles, pronouns, auxiliaries, prepositions, question words.
bool is_stop_word(const std::string& w) {
  static const std::set<std::string, std::less<>> words{
      // English
      "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "do", "does", "did", "for", "from", "has",
      "have", "how", "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "there",
      "these", "this", "those", "to", "was", "were", "what", "when", "where", "which", "who", "whom", "whose", "why",
      "with", "you", "your", "should", "would", "will", "than", "then", "they", "them", "not", "no", "so", "such",
      "any", "all", "used", "using", "named", "called", "according",
      // German
      "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder",
      "ist", "sind", "wird", "werden", "wurde", "mit", "von", "zu", "zum", "zur", "im", "auf", "für", "bei", "aus",
      "wie", "was", "welche", "welcher", "welches", "wann", "wo", "wer", "man", "sich", "nicht", "auch", "als",
      // French
      "le", "la", "les", "l", "un", "une", "du", "de", "d", "et", "ou", "est", "sont", "dans", "pour", "par",
      "sur", "avec", "que", "qui", "quel", "quelle", "quels", "quelles", "quoi", "comment", "se", "ce", "cette",
      "il", "elle", "en", "au", "aux", "qu",
      // Spanish
      "el", "los", "las", "uno", "y", "o", "es", "son", "con", "para", "por", "del", "al", "qué", "cuál", "cuáles",
      "cómo", "cuándo", "dónde", "su", "sus", "lo"};
  return words.count(w) > 0;
}

// A table of contents: at least three dot leaders (". . . ." or "....") in the passage.
bool looks_like_contents(std::string_view text) {
  int leaders = 0, dots = 0;
  for (char c : text) {
    if (c == '.') {
      ++dots;
    } else if (c != ' ') {
      leaders += dots >= 4;
      dots = 0;
    }
  }
  leaders += dots >= 4;
  return leaders >= 3;
}

// The question for BM25, without its function words unless nothing else is left. Only words of
// ASCII and other letters are judged; CJK text passes as it is.
std::string bm25_query(std::string_view question, bool drop_stop_words) {
  if (!drop_stop_words) return std::string(question);
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    const auto lower = words_of(word);
    out += lower.size() == 1 && is_stop_word(lower[0]) ? std::string(" ") : word;
    word.clear();
  };
  for (char ch : question) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      word += ch;
    } else {
      flush();
      out += ch;
    }
  }
  flush();
  return words_of(out).empty() ? std::string(question) : out;
}

}  // namespace

Retriever::Retriever(const Library& library, embed::Encoder& encoder, VectorIndex& index)
    : library_(library), encoder_(encoder), index_(index) {}

std::vector<RetrievedSource> Retriever::retrieve(std::string_view question,
                                                 const RetrieverOptions& o) const {
  if (o.top_k <= 0) return {};
  // Documents allowed by the filters (nullopt: all).
  std::optional<std::set<int64_t>> allowed;
  if (o.collection || !o.documents.empty()) {
    std::set<int64_t> ids;
    if (o.collection) {
      for (const auto& d : library_.documents(o.collection)) ids.insert(d.id);
    } else {
      for (const auto& d : library_.documents()) ids.insert(d.id);
    }
    if (!o.documents.empty()) {
      std::set<int64_t> only(o.documents.begin(), o.documents.end());
      std::erase_if(ids, [&](int64_t id) { return !only.count(id); });
    }
    allowed = std::move(ids);
    if (allowed->empty()) return {};
  }

  // A filter shrinks what a ranker finds in its first N; ask the dense index for more then.
  std::unordered_map<int64_t, StoredPassage> passages;
  auto passage_of = [&](int64_t id) -> const StoredPassage* {
    auto it = passages.find(id);
    if (it == passages.end()) {
      auto p = library_.passage(id);
      if (!p) return nullptr;
      it = passages.emplace(id, std::move(*p)).first;
    }
    return &it->second;
  };
  const std::vector<float> q =
      index_.size() > 0 ? encoder_.embed({std::string(question)}) : std::vector<float>{};

  const std::string bm25_question = bm25_query(question, o.bm25_drop_stop_words);
  // Documents whose title or file name shares a word (not a function word) with the question.
  std::set<int64_t> title_docs;
  if (o.title_weight > 0) {
    std::set<std::string> asked;
    for (auto& w : words_of(question)) {
      if (w.size() >= 3 && !is_stop_word(w)) asked.insert(std::move(w));
    }
    for (const auto& d : library_.documents(o.collection)) {
      for (const auto& w : words_of(d.title + " " + std::filesystem::path(d.path).stem().string())) {
        if (asked.count(w)) {
          title_docs.insert(d.id);
          break;
        }
      }
    }
  }

  // Groups of adjacent passages, each a contiguous ordinal range of one document.
  struct Group {
    int64_t doc = 0;
    int lo = 0, hi = 0;
    Candidate best;
  };
  std::vector<Group> groups;
  std::map<std::pair<int64_t, int>, int64_t> id_by_ordinal;
  const int64_t total = library_.passage_count();
  // When the per-document cap leaves places empty (one long manual filled the first
  // candidates), look deeper into both rankings, up to the whole library.
  for (int want = std::max(o.candidates, o.top_k * 4);; want *= 4) {
    const int dense_k = allowed ? want * 8 : want;
    std::unordered_map<int64_t, Candidate> fused;
    auto add_ranked = [&](int64_t id, int& rank, bool dense) {
      const StoredPassage* p = passage_of(id);
      if (!p || (allowed && !allowed->count(p->document_id))) return;
      if (rank >= want) return;
      ++rank;
      Candidate& c = fused[id];
      c.passage_id = id;
      c.score += (dense ? o.dense_weight : o.bm25_weight) / (o.rrf_k + rank);
      (dense ? c.dense_rank : c.bm25_rank) = rank;
    };
    if (!q.empty()) {
      int rank = 0;
      for (const VectorHit& h : index_.search(q, dense_k)) add_ranked(h.passage_id, rank, true);
    }
    {
      int rank = 0;
      for (const SearchHit& h :
           library_.search_bm25(bm25_question, allowed ? want * 4 : want, o.collection)) {
        add_ranked(h.passage_id, rank, false);
      }
    }
    if (o.contents_factor != 1.0) {
      for (auto& [id, c] : fused) {
        if (looks_like_contents(passage_of(id)->text)) c.score *= o.contents_factor;
      }
    }
    if (o.title_weight > 0 && !title_docs.empty()) {
      for (auto& [id, c] : fused) {
        if (title_docs.count(passage_of(id)->document_id)) c.score += o.title_weight / (o.rrf_k + 1);
      }
    }

    std::vector<Candidate> ranked;
    ranked.reserve(fused.size());
    for (const auto& [id, c] : fused) ranked.push_back(c);
    std::sort(ranked.begin(), ranked.end(), [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score > b.score : a.passage_id < b.passage_id;
    });

    groups.clear();
    std::map<int64_t, int> per_doc;
    // The cap keeps room for other documents; where none is left to take it (the whole ranking
    // was seen), a second pass fills the places without the cap.
    const bool exhausted = want >= total;
    for (int pass = 0; pass < (exhausted ? 2 : 1); ++pass) {
      const bool capped = pass == 0 && o.per_document > 0;
      for (const Candidate& c : ranked) {
        const StoredPassage& p = *passage_of(c.passage_id);
        id_by_ordinal[{p.document_id, p.ordinal}] = p.id;
        bool placed = false;
        for (Group& g : groups) {
          if (g.doc != p.document_id) continue;
          if (p.ordinal >= g.lo && p.ordinal <= g.hi) {
            placed = true;  // already inside
            break;
          }
          if ((p.ordinal == g.lo - 1 || p.ordinal == g.hi + 1) && g.hi - g.lo + 1 < o.max_group) {
            g.lo = std::min(g.lo, p.ordinal);
            g.hi = std::max(g.hi, p.ordinal);
            placed = true;
            break;
          }
        }
        if (!placed) {
          if (static_cast<int>(groups.size()) >= o.top_k) continue;
          if (capped && per_doc[p.document_id] >= o.per_document) continue;
          groups.push_back({p.document_id, p.ordinal, p.ordinal, c});
          ++per_doc[p.document_id];
        }
      }
    }
    if (static_cast<int>(groups.size()) >= o.top_k || o.per_document <= 0 || want >= total) break;
  }

  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.best.score > b.best.score; });
  std::vector<RetrievedSource> out;
  std::map<int64_t, DocumentInfo> docs;
  for (const Group& g : groups) {
    RetrievedSource s;
    s.document_id = g.doc;
    if (!docs.count(g.doc)) {
      if (auto d = library_.document(g.doc)) docs[g.doc] = *d;
    }
    s.path = docs[g.doc].path;
    s.title = docs[g.doc].title;
    s.ordinal_first = g.lo;
    s.ordinal_last = g.hi;
    s.score = g.best.score;
    s.dense_rank = g.best.dense_rank;
    s.bm25_rank = g.best.bm25_rank;
    std::vector<const StoredPassage*> parts;
    for (int ord = g.lo; ord <= g.hi; ++ord) {
      const auto it = id_by_ordinal.find({g.doc, ord});
      if (it != id_by_ordinal.end()) parts.push_back(passage_of(it->second));
    }
    s.page_first = parts.front()->page_first;
    s.begin = parts.front()->begin;
    s.page_last = parts.back()->page_last;
    s.end = parts.back()->end;
    for (const StoredPassage* p : parts) {
      s.passage_ids.push_back(p->id);
      s.boxes.insert(s.boxes.end(), p->boxes.begin(), p->boxes.end());
    }
    if (parts.size() == 1) {
      s.text = parts.front()->text;
    } else {
      s.text = span_text(library_, g.doc, s.page_first, s.begin, s.page_last, s.end);
      if (s.text.empty()) {
        for (const StoredPassage* p : parts) s.text += (s.text.empty() ? "" : "\n") + p->text;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pgpp::rag
