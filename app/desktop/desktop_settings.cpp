#include "app/desktop/desktop_settings.h"

#include <QDir>
#include <QFileInfo>

#include "app/cli/library_location.h"
#include "app/model_locations.h"

namespace pgpp::app {

DesktopSettings DesktopSettings::defaults() {
  DesktopSettings s;
  s.decoder = QString::fromStdString(default_decoder_path().string());
  s.encoder = QString::fromStdString(default_encoder_path().string());
  s.library = QString::fromStdString(default_library_dir().string());
  return s;
}

DesktopSettings DesktopSettings::load(QSettings& store) {
  const DesktopSettings d = defaults();
  DesktopSettings s;
  s.decoder = store.value("models/decoder", d.decoder).toString();
  s.encoder = store.value("models/encoder", d.encoder).toString();
  s.device = store.value("compute/device", d.device).toString();
  s.threads = store.value("compute/threads", d.threads).toInt();
  s.context = store.value("answer/context", d.context).toInt();
  s.temperature = store.value("answer/temperature", d.temperature).toDouble();
  s.passages = store.value("answer/passages", d.passages).toInt();
  s.library = store.value("library/folder", d.library).toString();
  // Ephemeral is a session choice: a new window starts writing again unless asked not to.
  s.ephemeral = store.value("library/ephemeral", false).toBool();
  return s;
}

void DesktopSettings::save(QSettings& store) const {
  store.setValue("models/decoder", decoder);
  store.setValue("models/encoder", encoder);
  store.setValue("compute/device", device);
  store.setValue("compute/threads", threads);
  store.setValue("answer/context", context);
  store.setValue("answer/temperature", temperature);
  store.setValue("answer/passages", passages);
  store.setValue("library/folder", library);
  store.setValue("library/ephemeral", ephemeral);
  store.sync();
}

QString DesktopSettings::validate() const {
  const QFileInfo dec(decoder);
  if (decoder.isEmpty() || !dec.isFile())
    return QString("The decoder model file %1 does not exist.").arg(decoder);
  if (!decoder.endsWith(".gguf", Qt::CaseInsensitive)) {
    return QString("The decoder model %1 is not a GGUF file (.gguf).").arg(decoder);
  }
  const QFileInfo enc(encoder);
  if (encoder.isEmpty() || !enc.exists())
    return QString("The encoder model %1 does not exist.").arg(encoder);
  if (enc.isDir() && !QFileInfo(QDir(encoder).filePath("config.json")).isFile()) {
    return QString(
               "The encoder folder %1 has no config.json: choose a sentence-transformers folder.")
        .arg(encoder);
  }
  if (device != "auto" && device != "cpu" && device != "gpu")
    return QString("Unknown compute device '%1'.").arg(device);
  if (threads < 0 || threads > 1024)
    return QString("Threads must be between 0 (automatic) and 1024.");
  if (context < 256 || context > 131072)
    return QString("Context length must be between 256 and 131072 tokens.");
  if (temperature < 0 || temperature > 2) return QString("Temperature must be between 0 and 2.");
  if (passages < 1 || passages > 20)
    return QString("Passages per answer must be between 1 and 20.");
  if (!ephemeral) {
    if (library.isEmpty()) return QString("Choose a library folder.");
    const QFileInfo lib(library);
    if (lib.exists() && !lib.isDir())
      return QString("The library location %1 is a file, not a folder.").arg(library);
  }
  return {};
}

bool DesktopSettings::models_present() const {
  return QFileInfo(decoder).isFile() && QFileInfo(encoder).exists();
}

}  // namespace pgpp::app
