# Install layout and the Debian package (issue 28).
#
# The layout is Debian's, relative to the install prefix, which defaults to
# "/" here: `sudo cmake --install build` installs /usr/bin/themisd,
# /etc/themisd/themisd.yaml, /lib/systemd/system/themisd.service and
# /usr/share/doc/themisd; `--prefix DIR` or DESTDIR stages the same tree
# under DIR. `cpack -G DEB` (in the build directory) builds the .deb.

if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "/" CACHE PATH "install prefix" FORCE)
endif()

install(TARGETS themisd RUNTIME DESTINATION usr/bin COMPONENT server)
if(TARGET themisctl)
  install(TARGETS themisctl RUNTIME DESTINATION usr/bin COMPONENT server)
endif()
install(FILES config/themisd.yaml DESTINATION etc/themisd COMPONENT server)
install(FILES packaging/themisd.service DESTINATION lib/systemd/system
        COMPONENT server)
install(DIRECTORY docs/ DESTINATION usr/share/doc/themisd COMPONENT server)
install(FILES README.md DESTINATION usr/share/doc/themisd COMPONENT server)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "themisd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_PACKAGE_CONTACT "themis-server maintainers <maintainers@themisdb.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ThemisDB network and API server: HTTP/1.1, HTTP/2, MQTT, PostgreSQL wire")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # Depends: from the linked libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/debian/postinst;${CMAKE_SOURCE_DIR}/packaging/debian/prerm;${CMAKE_SOURCE_DIR}/packaging/debian/postrm;${CMAKE_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
