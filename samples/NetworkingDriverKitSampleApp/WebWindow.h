// WebWindow: the Driver Manager's window, a web page the app serves to the browser on this
// machine (cpp-httplib). It binds only to 127.0.0.1, on the port asked for (0: any free one).
//
//   GET  /            the page (Resources/index.html, filled in with the current snapshot, so it
//                     is right before any script runs)
//   GET  /app.js, /style.css
//   GET  /state       the snapshot as JSON
//   GET  /events      server-sent events: the snapshot after every change (and a comment every
//                     15 s so that proxies and the browser keep the stream open)
//   POST /install, /deactivate, /replacement (action=replace|cancel)
//
// Only this machine's browser may drive it: requests whose Host is not 127.0.0.1:PORT or
// localhost:PORT are refused (another site's page cannot reach it by DNS rebinding), and a POST
// must carry the page's token (a form field, or the X-Driver-Manager-Token header the script
// sends), so another site cannot submit the forms (cross-site request forgery). A POST from a
// form (no script) is answered with a redirect back to the page; one from the script with 204.
//
// Threads: run() serves until stop(), which any thread may call (the signal thread does).
#pragma once

#include "DriverLoader.h"

#include <memory>
#include <string>

class WebWindow {
public:
    // Reads the page's files from `resources` and binds 127.0.0.1:`port`; nullptr and `error` if
    // either fails.
    static std::unique_ptr<WebWindow> create(std::shared_ptr<DriverLoader> loader,
                                             const std::string &resources, int port,
                                             std::string &error);
    ~WebWindow();
    [[nodiscard]] int port() const;
    // Serves until stop(); false if serving failed.
    bool run();
    void stop();

private:
    struct Impl;
    explicit WebWindow(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};
