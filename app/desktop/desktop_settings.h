#pragma once
// What a person chooses in the settings dialog, persisted with QSettings. Defaults point at the
// models the set-up script installs and at the command line's library folder, so the window and
// `pgpp` share one library.
#include <QSettings>
#include <QString>

namespace pgpp::app {

struct DesktopSettings {
  QString decoder;          // GGUF file
  QString encoder;          // sentence-transformers folder
  QString device = "auto";  // auto, cpu, gpu
  int threads = 0;          // 0: one per hardware thread
  int context = 2048;       // tokens
  double temperature = 0;   // 0: greedy
  int passages = 6;         // sources per answer
  QString library;          // library folder
  bool ephemeral = false;   // nothing written: SQLite in memory

  static DesktopSettings defaults();
  static DesktopSettings load(QSettings& store);
  void save(QSettings& store) const;
  // Empty when usable; else what is wrong, in plain words.
  QString validate() const;
  bool models_present() const;
};

}  // namespace pgpp::app
