#pragma once
// PDF files into the library, with the stages running side by side on their own threads:
//
//   extract (read_pdf) -> chunk -> embed (encoder batches) -> store (one transaction per document)
//
// joined by bounded queues (a slow encoder holds back extraction instead of filling memory
// with parsed PDFs). The store stage runs on the calling thread, which owns the Library. A file
// whose content is already stored is not read again. Progress goes to a callback on the calling
// thread; a stop request cancels within one batch: documents already stored stay, the one being
// stored rolls back, the rest are reported as cancelled.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "rag/chunker.h"
#include "rag/library.h"
#include "rag/pdf_reader.h"

namespace pgpp::embed {
class Encoder;
}

namespace pgpp::rag {

struct IngestOptions {
  std::string collection = Library::kDefaultCollection;
  ChunkerOptions chunking;
  PdfReadOptions reading;
  int queue_capacity = 2;  // documents waiting between two stages
};

struct IngestProgress {
  int files_total = 0;
  int files_done = 0;  // stored, skipped or failed
  int64_t pages = 0;     // pages of the files done
  int64_t pages_read = 0;  // pages extracted so far, the file being read included
  int64_t passages = 0;  // passages embedded so far
  double seconds = 0;
  double pages_per_second = 0;
  double passages_per_second = 0;
  double seconds_left = -1;  // estimate from bytes done; -1 while unknown
  std::string current;       // file name being stored or last stored
};

struct IngestFileResult {
  enum class Status { kAdded, kReplaced, kUnchanged, kSkipped, kFailed, kCancelled };
  std::filesystem::path path;
  Status status = Status::kCancelled;
  std::string reason;  // for skipped and failed files, and warnings of partial ones
  int64_t document_id = 0;
  int pages = 0;
  int passages = 0;
};
const char* ingest_status_name(IngestFileResult::Status s);

struct IngestReport {
  std::vector<IngestFileResult> files;  // in the order given
  int64_t pages = 0;
  int64_t passages = 0;
  double seconds = 0;
  bool cancelled = false;
  int count(IngestFileResult::Status s) const;
};

using IngestProgressCallback = std::function<void(const IngestProgress&)>;

class IngestPipeline {
 public:
  // Neither is owned. The encoder's identity names the stored embeddings.
  IngestPipeline(Library& library, embed::Encoder& encoder, IngestOptions options = {});

  IngestReport run(const std::vector<std::filesystem::path>& files, const IngestProgressCallback& progress = {},
                   std::stop_token stop = {});

 private:
  Library& library_;
  embed::Encoder& encoder_;
  IngestOptions options_;
};

// The PDF files under the given paths (folders recursively, sorted); other paths are returned in
// `rejected` with a reason.
std::vector<std::filesystem::path> collect_pdf_files(const std::vector<std::filesystem::path>& paths,
                                                     std::vector<IngestFileResult>& rejected);

}  // namespace pgpp::rag
