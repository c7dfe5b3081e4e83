#include "rag/ingest_pipeline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "embed/encoder.h"
#include "embed/sha256.h"
#include "kernels/error.h"

namespace pgpp::rag {

namespace {

// A queue that holds at most `capacity` items; close() wakes everyone: push then fails and pop
// returns what is left, then nothing.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // Waits up to `timeout`; nullopt on timeout or when closed and drained (see closed()).
  std::optional<T> pop(std::chrono::milliseconds timeout = std::chrono::hours(24)) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  bool drained() {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

// One file on its way through the stages.
struct Work {
  std::size_t index = 0;
  std::filesystem::path path;
  int64_t bytes = 0;
  std::optional<IngestFileResult::Status>
      done;  // set when a stage decided (skipped/failed/unchanged)
  std::string reason;
  DocumentRecord record;
  PdfDocument pdf;
  ChunkedDocument chunks;
  Embeddings embeddings;
};

}  // namespace

const char* ingest_status_name(IngestFileResult::Status s) {
  switch (s) {
    case IngestFileResult::Status::kAdded:
      return "added";
    case IngestFileResult::Status::kReplaced:
      return "replaced";
    case IngestFileResult::Status::kUnchanged:
      return "unchanged";
    case IngestFileResult::Status::kSkipped:
      return "skipped";
    case IngestFileResult::Status::kFailed:
      return "failed";
    case IngestFileResult::Status::kCancelled:
      return "cancelled";
  }
  return "?";
}

int IngestReport::count(IngestFileResult::Status s) const {
  return static_cast<int>(
      std::count_if(files.begin(), files.end(), [&](const auto& f) { return f.status == s; }));
}

IngestPipeline::IngestPipeline(Library& library, embed::Encoder& encoder, IngestOptions options)
    : library_(library), encoder_(encoder), options_(std::move(options)) {}

IngestReport IngestPipeline::run(const std::vector<std::filesystem::path>& files,
                                 const IngestProgressCallback& progress, std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  IngestReport report;
  report.files.resize(files.size());
  int64_t bytes_total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    report.files[i].path = files[i];
    std::error_code ec;
    const auto size = std::filesystem::file_size(files[i], ec);
    bytes_total += ec ? 0 : static_cast<int64_t>(size);
  }
  const int64_t collection_id = library_.collection(options_.collection);
  const std::string encoder_id = encoder_.identity();
  // Content already stored: such files are linked, not read again.
  std::set<std::string> known;
  for (const auto& d : library_.documents()) known.insert(d.sha256);

  BoundedQueue<Work> extracted(options_.queue_capacity), chunked(options_.queue_capacity),
      embedded(options_.queue_capacity);
  std::atomic<int64_t> passages_embedded{0};
  // A stop request wakes every stage.
  std::stop_callback on_stop(stop, [&] {
    extracted.close();
    chunked.close();
    embedded.close();
  });

  // The queues outlive the threads (declared before them); a guard declared after the threads
  // closes the queues before the threads are joined when an exception leaves this function.
  struct CloseOnExit {
    std::function<void()> close;
    ~CloseOnExit() { close(); }
  };

  std::atomic<int64_t> pages_read{0};
  // read_pdf reports each page: a stop request ends the reading of a long manual after the page
  // being read, not after its last page; the document is then dropped whole.
  PdfReadOptions reading = options_.reading;
  reading.progress = [&, user = options_.reading.progress](int done, int total) {
    ++pages_read;
    if (user) user(done, total);
    if (stop.stop_requested()) throw Cancelled();
  };

  std::jthread extract_thread([&] {
    for (std::size_t i = 0; i < files.size() && !stop.stop_requested(); ++i) {
      Work w;
      w.index = i;
      w.path = files[i];
      try {
        std::error_code ec;
        w.bytes = static_cast<int64_t>(std::filesystem::file_size(w.path, ec));
        const std::string sha = embed::sha256_file_hex(w.path);
        if (known.count(sha)) {
          w.record.path = std::filesystem::absolute(w.path).string();
          w.record.sha256 = sha;
          w.done = IngestFileResult::Status::kUnchanged;
        } else {
          w.pdf = read_pdf(w.path, reading);
          w.record = describe_document(w.path, w.pdf);
        }
      } catch (const Cancelled&) {
        break;
      } catch (const Error& e) {
        w.done = IngestFileResult::Status::kFailed;
        w.reason = e.what();
      } catch (const std::exception& e) {
        w.done = IngestFileResult::Status::kFailed;
        w.reason = w.path.filename().string() + ": " + e.what();
      }
      if (!extracted.push(std::move(w))) break;
    }
    extracted.close();
  });

  std::jthread chunk_thread([&] {
    Chunker chunker([&](std::string_view t) { return std::max(0, encoder_.count_tokens(t) - 2); },
                    options_.chunking);
    while (auto w = extracted.pop()) {
      if (!w->done) {
        try {
          w->chunks = chunker.chunk(w->pdf);
          if (w->chunks.passages.empty()) {
            w->done = IngestFileResult::Status::kSkipped;
            std::string why;
            for (const auto& r : w->pdf.warnings) why += (why.empty() ? "" : "; ") + r;
            w->reason = why.empty() ? "no searchable text" : "no searchable text (" + why + ")";
          }
        } catch (const std::exception& e) {
          w->done = IngestFileResult::Status::kFailed;
          w->reason = e.what();
        }
      }
      if (!chunked.push(std::move(*w))) break;
    }
    chunked.close();
  });

  std::jthread embed_thread([&] {
    // Embeds the passages of `group`'s documents in one call (a document's failure is its own:
    // on an error the documents are tried one by one). False when cancelled.
    const auto embed_group = [&](std::vector<Work*> group, auto& self) -> bool {
      std::vector<std::string> texts;
      for (Work* w : group)
        for (const auto& p : w->chunks.passages) texts.push_back(p.text);
      int64_t reported = 0;
      try {
        const std::vector<float> values = encoder_.embed(texts, [&](std::size_t done, std::size_t) {
          passages_embedded += static_cast<int64_t>(done) - reported;
          reported = static_cast<int64_t>(done);
          return !stop.stop_requested();
        });
        const auto dim = static_cast<std::size_t>(encoder_.dimension());
        std::size_t first = 0;
        for (Work* w : group) {
          const std::size_t n = w->chunks.passages.size() * dim;
          w->embeddings.values.assign(values.begin() + static_cast<std::ptrdiff_t>(first),
                                      values.begin() + static_cast<std::ptrdiff_t>(first + n));
          w->embeddings.encoder = encoder_id;
          w->embeddings.dim = encoder_.dimension();
          first += n;
        }
        return true;
      } catch (const Cancelled&) {
        return false;
      } catch (const std::exception& e) {
        if (group.size() == 1) {
          group[0]->done = IngestFileResult::Status::kFailed;
          group[0]->reason = e.what();
          return true;
        }
        passages_embedded -= reported;  // the retries count their progress again
        for (Work* w : group)
          if (!self(std::vector<Work*>{w}, self)) return false;
        return true;
      }
    };
    // Documents that are already waiting share encoder batches: many small PDFs would otherwise
    // each make a batch of a few passages, which leaves a GPU mostly idle.
    const auto batch = static_cast<std::size_t>(std::max(1, encoder_.batch_size()));
    while (auto first = chunked.pop()) {
      std::vector<Work> works;
      works.push_back(std::move(*first));
      std::size_t passages = works.back().done ? 0 : works.back().chunks.passages.size();
      while (passages < batch) {
        auto next = chunked.pop(std::chrono::milliseconds(0));
        if (!next) break;
        works.push_back(std::move(*next));
        if (!works.back().done) passages += works.back().chunks.passages.size();
      }
      std::vector<Work*> group;
      for (Work& w : works)
        if (!w.done) group.push_back(&w);
      if (!group.empty() && !embed_group(group, embed_group)) break;
      bool pushed = true;
      for (Work& w : works) pushed = pushed && embedded.push(std::move(w));
      if (!pushed) break;
    }
    embedded.close();
  });

  CloseOnExit guard{[&] {
    extracted.close();
    chunked.close();
    embedded.close();
  }};

  // Store, on this thread.
  IngestProgress p;
  p.files_total = static_cast<int>(files.size());
  int64_t bytes_done = 0;
  auto report_progress = [&] {
    if (!progress) return;
    p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    p.passages = passages_embedded.load();
    p.pages = report.pages;
    p.pages_read = pages_read.load();
    p.pages_per_second = p.seconds > 0 ? static_cast<double>(p.pages) / p.seconds : 0;
    p.passages_per_second = p.seconds > 0 ? static_cast<double>(p.passages) / p.seconds : 0;
    p.seconds_left = bytes_done > 0 ? p.seconds * static_cast<double>(bytes_total - bytes_done) /
                                          static_cast<double>(bytes_done)
                                    : -1;
    progress(p);
  };
  std::vector<bool> finished(files.size(), false);
  while (!embedded.drained()) {
    auto w = embedded.pop(std::chrono::milliseconds(250));
    if (!w) {
      report_progress();
      continue;
    }
    if (stop.stop_requested()) break;
    IngestFileResult& r = report.files[w->index];
    p.current = w->path.filename().string();
    try {
      if (w->done && *w->done != IngestFileResult::Status::kUnchanged) {
        r.status = *w->done;
        r.reason = w->reason;
      } else {
        const AddResult added = library_.add_document(w->record, w->pdf, w->chunks, w->embeddings,
                                                      collection_id, [&](int, int) {
                                                        if (stop.stop_requested())
                                                          throw Cancelled();
                                                      });
        r.document_id = added.document_id;
        r.status = added.outcome == AddResult::Outcome::kAdded ? IngestFileResult::Status::kAdded
                   : added.outcome == AddResult::Outcome::kReplaced
                       ? IngestFileResult::Status::kReplaced
                       : IngestFileResult::Status::kUnchanged;
        r.pages = static_cast<int>(w->pdf.pages.size());
        r.passages = static_cast<int>(w->chunks.passages.size());
        for (const auto& warn : w->pdf.warnings) r.reason += (r.reason.empty() ? "" : "; ") + warn;
        report.pages += r.pages;
        report.passages += r.passages;
      }
    } catch (const Cancelled&) {
      r.status = IngestFileResult::Status::kCancelled;
      break;
    } catch (const std::exception& e) {
      r.status = IngestFileResult::Status::kFailed;
      r.reason = e.what();
    }
    finished[w->index] = true;
    bytes_done += w->bytes;
    ++p.files_done;
    report_progress();
  }
  // Unblock and join the stages (on cancel they may be waiting on a full queue).
  extracted.close();
  chunked.close();
  embedded.close();
  extract_thread.join();
  chunk_thread.join();
  embed_thread.join();
  report.cancelled = stop.stop_requested();
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!finished[i] && report.files[i].status != IngestFileResult::Status::kCancelled) {
      report.files[i].status = IngestFileResult::Status::kCancelled;
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

std::vector<std::filesystem::path> collect_pdf_files(
    const std::vector<std::filesystem::path>& paths, std::vector<IngestFileResult>& rejected) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  auto is_pdf = [](const fs::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".pdf";
  };
  auto reject = [&](const fs::path& p, std::string why) {
    IngestFileResult r;
    r.path = p;
    r.status = IngestFileResult::Status::kSkipped;
    r.reason = std::move(why);
    rejected.push_back(std::move(r));
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && is_pdf(it->path())) found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (!fs::exists(path, ec)) {
      reject(path, "no such file or folder");
    } else if (!fs::is_regular_file(path, ec)) {
      reject(path, "not a regular file");
    } else {
      out.push_back(path);  // named explicitly: the reader says if it is not a PDF
    }
  }
  return out;
}

}  // namespace pgpp::rag
