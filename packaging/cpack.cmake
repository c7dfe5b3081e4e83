# `cpack` in a build folder makes a Debian package of pgpp and pgpp-desktop (with the desktop
# entry and icon). Its dependencies are read from the binaries by dpkg-shlibdeps, so they are
# the Debian runtime libraries the build linked against. The models are not packaged: the
# window's first-run page says how to get them.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pgpp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "PrivateGPT++")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "private question answering over your PDF files, with page citations")
set(CPACK_PACKAGE_DESCRIPTION
    "PrivateGPT++ takes PDF files in, indexes their passages with a local encoder and answers
questions with a local decoder that cites the pages it used. Nothing leaves the machine.
Includes the pgpp command line and the pgpp-desktop window.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(PGPP_DEB_MAINTAINER "PrivateGPT++ developers <maintainers@privategpt-pp.invalid>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PGPP_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The Qt platform plugin (xcb) comes with libqt6gui6; poppler-data renders CJK pages correctly.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "poppler-data")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
include(CPack)
