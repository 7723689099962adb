// `netdextctl ioreg`: netdextd's I/O Registry over the control socket (docs/registry.md).
//
// The daemon sends the tree in the registry's typed JSON wire form ({"registry": entry}) and the
// client formats it (netdextctl runs registry/'s ioreg formatter with the user's flags), so the
// daemon parses no ioreg options and every client gets every property with its type. Readable by
// any user, as ioreg is on macOS.
//
// Fresh values: each running driver's host is asked for a new snapshot of its service (its real
// retain count and properties now); the answer goes out when every host has answered, or after
// kFreshWait with the last snapshot of those that did not (a host busy in a long driver call
// answers only after it). The family's entries (MAC, link, media, MTU, queues and their
// counters) are the daemon's own and always current.

#include "daemon.h"

#include <netdext/registry/wire.h>

#include <sys/timerfd.h>
#include <unistd.h>

namespace netdext::daemon {

using control_server::Need;
using control_server::Request;
using nlohmann::json;

namespace {
constexpr auto kFreshWait = std::chrono::milliseconds(500);
}

struct Daemon::IoregQuery {
    control_server::Responder respond;
    size_t waiting = 0;
    bool answered = false;
    std::chrono::steady_clock::time_point deadline;
};

void Daemon::register_ioreg_requests() {
    m_control->handle("ioreg", Need::anyone, [this](Request &r) { ioreg(r); });
}

void Daemon::ioreg(Request &request) {
    auto query = std::make_shared<IoregQuery>();
    query->respond = request.respond;
    query->deadline = std::chrono::steady_clock::now() + kFreshWait;
    std::vector<DextSession *> asked;
    for (auto &[key, driver] : m_drivers)
        if (driver.session && driver.session->started() && !driver.session->finished())
            asked.push_back(driver.session.get());
    query->waiting = asked.size() + 1; // + this function: answers that come at once do not finish
    std::weak_ptr<IoregQuery> weak = query;
    for (DextSession *session : asked)
        session->request_registry([this, weak] {
            if (auto q = weak.lock(); q && --q->waiting == 0)
                answer_ioreg(*q);
        });
    if (--query->waiting == 0)
        return answer_ioreg(*query);
    m_ioreg_queries.push_back(query);
    on_registry_timer(); // arms the timer for the earliest deadline
}

void Daemon::answer_ioreg(IoregQuery &query) {
    if (query.answered)
        return;
    query.answered = true;
    std::vector<netdext::registry::DriverServiceDescription> services;
    for (const auto &[key, driver] : m_drivers)
        if (driver.session && !driver.session->finished())
            services.push_back(driver.session->describe_service());
    const netdext::registry::Entry tree = m_registry.tree(services);
    query.respond.result({{"registry", json::parse(netdext::registry::to_json(tree))}});
}

void Daemon::on_registry_timer() {
    uint64_t expirations = 0;
    (void)!read(m_registry_timer.get(), &expirations, sizeof expirations);
    const auto now = std::chrono::steady_clock::now();
    for (const auto &query : m_ioreg_queries)
        if (!query->answered && now >= query->deadline)
            answer_ioreg(*query);
    std::erase_if(m_ioreg_queries, [](const auto &q) { return q->answered; });
    itimerspec when{};
    if (!m_ioreg_queries.empty()) {
        auto soonest = m_ioreg_queries.front()->deadline;
        for (const auto &query : m_ioreg_queries)
            soonest = std::min(soonest, query->deadline);
        const auto ns = std::max<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(soonest - now).count(), 1);
        when.it_value.tv_sec = time_t(ns / 1000000000);
        when.it_value.tv_nsec = long(ns % 1000000000);
    }
    (void)timerfd_settime(m_registry_timer.get(), 0, &when, nullptr);
}

} // namespace netdext::daemon
