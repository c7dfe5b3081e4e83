#pragma once
// Models, compute and answer settings, library location and the ephemeral session. Invalid
// values are refused with a message naming what is wrong; accepted ones are returned by
// settings() for the caller to persist.
#include <QDialog>

#include "app/desktop/desktop_settings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace pgpp::app {

class SettingsDialog : public QDialog {
  Q_OBJECT
 public:
  SettingsDialog(const DesktopSettings& current, QWidget* parent = nullptr);
  DesktopSettings settings() const;

  void accept() override;

 private:
  void showFacts();

  QLineEdit* decoder_;
  QLineEdit* encoder_;
  QLabel* decoder_facts_;
  QLabel* encoder_facts_;
  QComboBox* device_;
  QSpinBox* threads_;
  QSpinBox* context_;
  QDoubleSpinBox* temperature_;
  QSpinBox* passages_;
  QLineEdit* library_;
  QCheckBox* ephemeral_;
};

}  // namespace pgpp::app
