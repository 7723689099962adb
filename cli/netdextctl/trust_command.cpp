// netdextctl trust: the team keys netdextd trusts to sign extensions (docs/codesign.md). `add`
// reads a public identity file (netdext-codesign --generate-identity writes NAME.identity.pub)
// and sends its text; netdextd checks it and keeps it in its state directory.

#include "commands.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace netdext::ctl {

TrustCommand add_trust_command(CLI::App &app) {
    TrustCommand trust;
    trust.command = app.add_subcommand(
        "trust", "The team keys extensions must be signed with (root adds and removes)");
    trust.command->require_subcommand(1);
    trust.add = trust.command->add_subcommand(
        "add", "Trust a team's public key (a netdext-codesign *.identity.pub file)");
    trust.add->add_option("file", trust.file, "The public identity file")->required();
    trust.add->add_option("--expires", trust.expires,
                          "Stop trusting it at this date (2026-12-31 or 2026-12-31T12:00:00Z)");
    trust.remove = trust.command->add_subcommand(
        "remove", "Stop trusting a team's keys (one key when its fingerprint is given)");
    trust.remove->add_option("teamID", trust.team, "Team ID, e.g. A123456789")->required();
    trust.remove->add_option("fingerprint", trust.fingerprint,
                             "16 hex digits, as `trust list` shows");
    trust.list = trust.command->add_subcommand("list", "The trusted keys");
    trust.list->add_flag("--json", trust.json, "Print JSON");
    return trust;
}

int run_trust_command(const TrustCommand &trust, const RequestFn &request) {
    int code = 0;
    if (trust.add->parsed()) {
        std::ifstream in(trust.file, std::ios::binary);
        if (!in) {
            std::cerr << "netdextctl: " << trust.file << ": cannot read it" << std::endl;
            return 1;
        }
        std::ostringstream text;
        text << in.rdbuf();
        nlohmann::json message = {{"request", "trust"}, {"action", "add"}, {"key", text.str()},
                                  {"file", trust.file}};
        if (!trust.expires.empty())
            message["expires"] = trust.expires;
        if (auto done = request(message, code)) {
            const nlohmann::json &key = (*done)["key"];
            std::cout << "trusting team " << key.value("team_id", std::string()) << " ("
                      << key.value("name", std::string()) << "), key "
                      << key.value("fingerprint", std::string());
            if (key.contains("expires") && key["expires"].is_string())
                std::cout << ", until " << key["expires"].get<std::string>();
            std::cout << std::endl;
        }
        return code;
    }
    if (trust.remove->parsed()) {
        nlohmann::json message = {{"request", "trust"}, {"action", "remove"},
                                  {"team_id", trust.team}};
        if (!trust.fingerprint.empty())
            message["fingerprint"] = trust.fingerprint;
        if (auto done = request(message, code))
            std::cout << "no longer trusting team " << trust.team << " ("
                      << (*done)["removed"].get<size_t>() << " key(s))" << std::endl;
        return code;
    }
    auto done = request({{"request", "trust"}, {"action", "list"}}, code);
    if (!done)
        return code;
    if (trust.json) {
        std::cout << done->dump(2) << std::endl;
        return 0;
    }
    const nlohmann::json &keys = (*done)["keys"];
    std::cout << keys.size() << " trusted key(s)\n";
    if (!keys.empty())
        std::cout << "teamID\tfingerprint\tname\tadded\texpires\n";
    for (const nlohmann::json &k : keys) {
        std::cout << k.value("team_id", std::string()) << "\t"
                  << k.value("fingerprint", std::string()) << "\t"
                  << k.value("name", std::string()) << "\t" << k.value("added", std::string())
                  << "\t"
                  << (k["expires"].is_string() ? k["expires"].get<std::string>() : std::string("-"))
                  << (k.value("expired", false) ? " (expired)" : "") << "\n";
    }
    for (const nlohmann::json &p : (*done)["problems"])
        std::cout << "ignored: " << p.get<std::string>() << "\n";
    return 0;
}

} // namespace netdext::ctl
