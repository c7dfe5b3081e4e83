#pragma once
// A library holding real test PDFs, ingested by the real pipeline with the real default encoder
// (in memory: nothing written), for the retrieval and answer tests.
#include <memory>
#include <vector>

#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "rag/ingest_pipeline.h"
#include "rag/library.h"
#include "rag/vector_index.h"
#include "tests/common/test_models.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp::test {

struct IngestedLibrary {
  kernels::CpuBackend cpu{2};
  embed::Encoder encoder{default_encoder(), cpu};
  rag::Library library{":memory:"};
  rag::IngestReport report;
  std::unique_ptr<rag::VectorIndex> index;

  explicit IngestedLibrary(const std::vector<std::string>& names) {
    std::vector<std::filesystem::path> files;
    for (const auto& n : names) files.push_back(test_pdf(n));
    rag::IngestPipeline pipeline(library, encoder);
    report = pipeline.run(files);
    index = std::make_unique<rag::VectorIndex>(library, encoder.identity());
  }

  int64_t document_id(const std::string& name) const {
    for (const auto& d : library.documents()) {
      if (std::filesystem::path(d.path).filename() == name) return d.id;
    }
    ADD_FAILURE() << name << " is not in the library";
    return 0;
  }
};

}  // namespace pgpp::test
