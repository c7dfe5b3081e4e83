// pgpp-desktop: the PrivateGPT++ window. Settings live in QSettings
// (~/.config/pgpp/pgpp-desktop.conf);
// --ephemeral starts a session that writes nothing, --library picks another library folder.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <memory>

#include "app/desktop/library_panel.h"
#include "app/desktop/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("pgpp");
  QApplication::setApplicationName("pgpp-desktop");
  QApplication::setApplicationDisplayName("PrivateGPT++");
  QApplication::setApplicationVersion(PGPP_VERSION);
  QApplication::setDesktopFileName("pgpp-desktop");

  QCommandLineParser cli;
  cli.setApplicationDescription(
      "Ask questions about your PDF files; every answer cites its pages.");
  cli.addHelpOption();
  cli.addVersionOption();
  QCommandLineOption ephemeral("ephemeral",
                               "Keep documents and answers in memory only: nothing is written.");
  QCommandLineOption library("library", "Library folder (instead of the one in the settings).",
                             "folder");
  QCommandLineOption settings_file("settings", "Settings file to use (instead of the user's).",
                                   "file");
  cli.addOptions({ephemeral, library, settings_file});
  cli.addPositionalArgument(
      "files", "PDF files or folders to add to the library once the models are loaded.",
      "[files...]");
  cli.process(app);

  std::unique_ptr<QSettings> store =
      cli.isSet(settings_file)
          ? std::make_unique<QSettings>(cli.value(settings_file), QSettings::IniFormat)
          : std::make_unique<QSettings>();
  pgpp::app::MainWindow window(*store);
  // Command-line choices apply to this session only; they are not saved.
  if (cli.isSet(library) || cli.isSet(ephemeral)) {
    auto s = window.settings();
    if (cli.isSet(library)) s.library = cli.value(library);
    s.ephemeral = s.ephemeral || cli.isSet(ephemeral);
    window.useForThisSession(s);
  }
  const QStringList files = cli.positionalArguments();
  if (!files.isEmpty()) {
    QObject::connect(
        &window, &pgpp::app::MainWindow::modelsOpened, &window,
        [&window, files] { window.addPaths(files, window.libraryPanel()->currentCollection()); },
        Qt::SingleShotConnection);
  }
  window.show();
  window.start();
  return app.exec();
}
