// The Driver Manager's window as a local web page (see WebWindow.h).

#include "WebWindow.h"

#include <httplib.h>
#include <sodium.h>

#include <netdext/file_io.h>

#include <atomic>
#include <map>

using nlohmann::json;

namespace {

std::string escape_html(const std::string &text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// Replaces every {{key}} of `page` by its (already escaped) value; unknown keys stay.
std::string fill(std::string page, const std::map<std::string, std::string> &values) {
    for (const auto &[key, value] : values) {
        const std::string marker = "{{" + key + "}}";
        for (size_t at = 0; (at = page.find(marker, at)) != std::string::npos; at += value.size())
            page.replace(at, marker.size(), value);
    }
    return page;
}

std::string interfaces_html(const DriverSnapshot &s) {
    std::string out;
    for (const auto &i : s.interfaces)
        out += "<li><span class=\"name\">" + escape_html(i.name) + "</span> — link " +
               (i.carrier ? "active" : "inactive") + ", MTU " + std::to_string(i.mtu) + "</li>";
    return out;
}

std::string random_token() {
    unsigned char bytes[24];
    randombytes_buf(bytes, sizeof bytes);
    char hex[sizeof bytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return hex;
}

} // namespace

struct WebWindow::Impl {
    std::shared_ptr<DriverLoader> loader;
    httplib::Server server;
    std::string page, script, style, token;
    int port = 0;
    std::atomic<bool> stopping{false};

    std::string render() const {
        const DriverSnapshot s = loader->snapshot();
        auto hidden = [](bool hide) { return std::string(hide ? "hidden" : ""); };
        auto disabled = [](bool off) { return std::string(off ? "disabled" : ""); };
        return fill(page,
                    {{"token", escape_html(token)},
                     {"identifier", escape_html(s.identifier)},
                     {"state", state_key(s.state)},
                     {"label", escape_html(state_label(s.state))},
                     {"text", escape_html(s.text)},
                     {"error", escape_html(s.error)},
                     {"error_hidden", hidden(s.error.empty())},
                     {"notice", escape_html(!s.unreachable.empty() ? s.unreachable : s.notice)},
                     {"replacement_hidden", hidden(!s.question)},
                     {"installed_version", escape_html(s.question ? s.question->installed : "")},
                     {"offered_version", escape_html(s.question ? s.question->offered : "")},
                     {"interfaces", interfaces_html(s)},
                     {"interfaces_hidden", hidden(s.interfaces.empty())},
                     {"install_disabled", disabled(!s.can_install)},
                     {"deactivate_disabled", disabled(!s.can_deactivate)}});
    }

    // Only this machine's browser, by the name it used for us.
    bool local_host(const httplib::Request &req) const {
        const std::string host = req.get_header_value("Host");
        const std::string suffix = ":" + std::to_string(port);
        return host == "127.0.0.1" + suffix || host == "localhost" + suffix;
    }

    bool has_token(const httplib::Request &req) const {
        std::string given = req.get_header_value("X-Driver-Manager-Token");
        if (given.empty() && req.has_param("token"))
            given = req.get_param_value("token");
        return given.size() == token.size() &&
               sodium_memcmp(given.data(), token.data(), token.size()) == 0;
    }

    static void headers(httplib::Response &res) {
        res.set_header("Cache-Control", "no-store");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; "
                       "connect-src 'self'; img-src 'self'; form-action 'self'; "
                       "frame-ancestors 'none'; base-uri 'none'");
    }

    void action(const char *path, std::function<void(const httplib::Request &)> act) {
        server.Post(path, [this, act = std::move(act)](const httplib::Request &req,
                                                       httplib::Response &res) {
            if (!has_token(req)) {
                res.status = 403;
                res.set_content("missing or wrong token\n", "text/plain");
                return;
            }
            act(req);
            if (req.has_header("X-Driver-Manager-Token")) {
                res.status = 204;
            } else {
                res.status = 303; // a form without script: back to the page
                res.set_header("Location", "/");
            }
        });
    }

    void routes() {
        server.set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
            headers(res);
            if (local_host(req))
                return httplib::Server::HandlerResponse::Unhandled;
            res.status = 421;
            res.set_content("this page answers only at http://127.0.0.1:" + std::to_string(port) +
                                "/\n",
                            "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        });
        server.Get("/", [this](const httplib::Request &, httplib::Response &res) {
            res.set_content(render(), "text/html; charset=utf-8");
        });
        server.Get("/app.js", [this](const httplib::Request &, httplib::Response &res) {
            res.set_content(script, "text/javascript; charset=utf-8");
        });
        server.Get("/style.css", [this](const httplib::Request &, httplib::Response &res) {
            res.set_content(style, "text/css; charset=utf-8");
        });
        server.Get("/favicon.ico", [](const httplib::Request &, httplib::Response &res) {
            res.status = 204; // no icon
        });
        server.Get("/state", [this](const httplib::Request &, httplib::Response &res) {
            res.set_content(loader->snapshot().to_json().dump(), "application/json");
        });
        server.Get("/events", [this](const httplib::Request &, httplib::Response &res) {
            auto seen = std::make_shared<uint64_t>(0);
            res.set_chunked_content_provider(
                "text/event-stream", [this, seen](size_t, httplib::DataSink &sink) {
                    if (stopping)
                        return false;
                    const DriverSnapshot s =
                        *seen == 0 ? loader->snapshot()
                                   : loader->wait_for_change(*seen, std::chrono::seconds(15));
                    if (stopping)
                        return false;
                    std::string chunk = s.version != *seen ? "data: " + s.to_json().dump() + "\n\n"
                                                           : std::string(": still here\n\n");
                    *seen = s.version;
                    return sink.write(chunk.data(), chunk.size());
                });
        });
        action("/install", [this](const httplib::Request &) { loader->install(); });
        action("/deactivate", [this](const httplib::Request &) { loader->deactivate(); });
        action("/replacement", [this](const httplib::Request &req) {
            const std::string choice = req.has_param("action") ? req.get_param_value("action") : "";
            if (choice == "replace" || choice == "cancel")
                loader->decide_replacement(choice == "replace");
        });
    }
};

WebWindow::WebWindow(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
WebWindow::~WebWindow() = default;

std::unique_ptr<WebWindow> WebWindow::create(std::shared_ptr<DriverLoader> loader,
                                             const std::string &resources, int port,
                                             std::string &error) {
    if (sodium_init() < 0) {
        error = "libsodium cannot start";
        return nullptr;
    }
    auto impl = std::make_unique<Impl>();
    impl->loader = std::move(loader);
    for (auto [name, text] :
         {std::pair{"index.html", &impl->page}, std::pair{"app.js", &impl->script},
          std::pair{"style.css", &impl->style}})
        if (!netdext::read_file(resources + "/" + name, *text)) {
            error = "cannot read " + resources + "/" + name + " (run the app from its bundle)";
            return nullptr;
        }
    impl->token = random_token();
    impl->routes();
    // Loopback only: the page drives the system's extensions.
    impl->port = port == 0 ? impl->server.bind_to_any_port("127.0.0.1")
                           : (impl->server.bind_to_port("127.0.0.1", port) ? port : -1);
    if (impl->port <= 0) {
        error = "cannot listen on 127.0.0.1:" + std::to_string(port);
        return nullptr;
    }
    return std::unique_ptr<WebWindow>(new WebWindow(std::move(impl)));
}

int WebWindow::port() const {
    return m_impl->port;
}

bool WebWindow::run() {
    return m_impl->server.listen_after_bind();
}

void WebWindow::stop() {
    m_impl->stopping = true;
    m_impl->loader->stop(); // wakes the event streams
    m_impl->server.stop();
}
