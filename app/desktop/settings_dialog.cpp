#include "app/desktop/settings_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include "app/desktop/rag_worker.h"
#include "kernels/cuda/cuda_device.h"

namespace pgpp::app {

namespace {

QWidget* with_button(QWidget* parent, QLineEdit* edit, const QString& text,
                     std::function<void()> on_click) {
  auto* row = new QWidget(parent);
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(edit, 1);
  auto* button = new QPushButton(text, row);
  layout->addWidget(button);
  QObject::connect(button, &QPushButton::clicked, row, std::move(on_click));
  return row;
}

QLabel* facts_label(QWidget* parent) {
  auto* l = new QLabel(parent);
  l->setWordWrap(true);
  l->setTextInteractionFlags(Qt::TextSelectableByMouse);
  l->setForegroundRole(QPalette::PlaceholderText);
  return l;
}

}  // namespace

SettingsDialog::SettingsDialog(const DesktopSettings& s, QWidget* parent) : QDialog(parent) {
  setWindowTitle("Settings");
  decoder_ = new QLineEdit(s.decoder, this);
  encoder_ = new QLineEdit(s.encoder, this);
  decoder_->setObjectName("decoder");
  encoder_->setObjectName("encoder");
  decoder_facts_ = facts_label(this);
  encoder_facts_ = facts_label(this);
  device_ = new QComboBox(this);
  device_->addItem("Automatic", "auto");
  device_->addItem("CPU", "cpu");
  device_->addItem("GPU", "gpu");
  // The GPU is offered only where it can be used; otherwise the reason shows on hover.
  const auto gpu = kernels::cuda::probe_cuda_device();
  if (gpu.available) {
    device_->setItemData(2, QString("Run the models on %1").arg(QString::fromStdString(gpu.name)), Qt::ToolTipRole);
  } else {
    device_->setItemData(2, 0, Qt::UserRole - 1);
    device_->setItemData(2, QString("No usable GPU: %1").arg(QString::fromStdString(gpu.reason)), Qt::ToolTipRole);
  }
  const bool keep_gpu = s.device == "gpu" && gpu.available;
  device_->setCurrentIndex(std::max(0, device_->findData(s.device == "gpu" && !keep_gpu ? "auto" : s.device)));
  threads_ = new QSpinBox(this);
  threads_->setRange(0, 1024);
  threads_->setSpecialValueText(QString("automatic (%1)").arg(QThread::idealThreadCount()));
  threads_->setValue(s.threads);
  context_ = new QSpinBox(this);
  context_->setRange(256, 131072);
  context_->setSingleStep(512);
  context_->setSuffix(" tokens");
  context_->setValue(s.context);
  temperature_ = new QDoubleSpinBox(this);
  temperature_->setRange(0, 2);
  temperature_->setSingleStep(0.1);
  temperature_->setDecimals(2);
  temperature_->setSpecialValueText("0 (always the most likely word)");
  temperature_->setValue(s.temperature);
  passages_ = new QSpinBox(this);
  passages_->setRange(1, 20);
  passages_->setValue(s.passages);
  library_ = new QLineEdit(s.library, this);
  ephemeral_ = new QCheckBox(
      "Ephemeral session: keep documents and answers in memory only, write nothing", this);
  ephemeral_->setChecked(s.ephemeral);

  auto* form = new QFormLayout;
  form->addRow("Decoder (GGUF file)", with_button(this, decoder_, "Choose…", [this] {
                 const QString f =
                     QFileDialog::getOpenFileName(this, "Decoder model", decoder_->text(),
                                                  "GGUF models (*.gguf);;All files (*)");
                 if (!f.isEmpty()) decoder_->setText(f);
                 showFacts();
               }));
  form->addRow("", decoder_facts_);
  form->addRow("Encoder (folder)", with_button(this, encoder_, "Choose…", [this] {
                 const QString d = QFileDialog::getExistingDirectory(this, "Encoder model folder",
                                                                     encoder_->text());
                 if (!d.isEmpty()) encoder_->setText(d);
                 showFacts();
               }));
  form->addRow("", encoder_facts_);
  form->addRow("Compute device", device_);
  form->addRow("Threads", threads_);
  form->addRow("Context length", context_);
  form->addRow("Temperature", temperature_);
  form->addRow("Passages per answer", passages_);
  form->addRow("Library folder", with_button(this, library_, "Choose…", [this] {
                 const QString d =
                     QFileDialog::getExistingDirectory(this, "Library folder", library_->text());
                 if (!d.isEmpty()) library_->setText(d);
               }));
  form->addRow("", ephemeral_);
  connect(ephemeral_, &QCheckBox::toggled, library_, &QWidget::setDisabled);
  library_->setDisabled(s.ephemeral);
  connect(decoder_, &QLineEdit::editingFinished, this, &SettingsDialog::showFacts);
  connect(encoder_, &QLineEdit::editingFinished, this, &SettingsDialog::showFacts);

  auto* buttons = new QDialogButtonBox(
      QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
  connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
    const auto d = DesktopSettings::defaults();
    decoder_->setText(d.decoder);
    encoder_->setText(d.encoder);
    device_->setCurrentIndex(0);
    threads_->setValue(d.threads);
    context_->setValue(d.context);
    temperature_->setValue(d.temperature);
    passages_->setValue(d.passages);
    library_->setText(d.library);
    ephemeral_->setChecked(false);
    showFacts();
  });
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons);
  showFacts();
  resize(720, sizeHint().height());
}

void SettingsDialog::showFacts() {
  auto describe = [](QLabel* label, const QString& path, auto&& fn) {
    try {
      label->setText(fn(path));
    } catch (const std::exception& e) {
      label->setText("⚠ " + QString::fromUtf8(e.what()));
    }
  };
  describe(decoder_facts_, decoder_->text(), describe_decoder_file);
  describe(encoder_facts_, encoder_->text(), describe_encoder_folder);
}

DesktopSettings SettingsDialog::settings() const {
  DesktopSettings s;
  s.decoder = decoder_->text().trimmed();
  s.encoder = encoder_->text().trimmed();
  s.device = device_->currentData().toString();
  s.threads = threads_->value();
  s.context = context_->value();
  s.temperature = temperature_->value();
  s.passages = passages_->value();
  s.library = library_->text().trimmed();
  s.ephemeral = ephemeral_->isChecked();
  return s;
}

void SettingsDialog::accept() {
  const QString problem = settings().validate();
  if (!problem.isEmpty()) {
    QMessageBox::warning(this, "Settings not saved", problem);
    return;
  }
  QDialog::accept();
}

}  // namespace pgpp::app
