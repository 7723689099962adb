// Matching a device against every waiting driver (see device_match.h).

#include "device_match.h"

#include "device_description.h"

#include <optional>

namespace netdext::devices {

namespace {

struct Best {
    size_t candidate = 0;
    size_t provider = 0;
    const bundle::Personality *personality = nullptr;
    int64_t score = 0;
};

} // namespace

MatchDecision choose_driver(const std::vector<bundle::Provider> &providers,
                            const std::vector<DriverCandidate> &candidates,
                            const std::string &model) {
    MatchDecision decision;
    std::vector<std::string> busy_matches;
    // The best free candidate for providers [first, last), strictly better scores only.
    auto best_over = [&](size_t first, size_t last) {
        std::optional<Best> best;
        for (size_t p = first; p < last; ++p)
            for (size_t c = 0; c < candidates.size(); ++c) {
                const DriverCandidate &candidate = candidates[c];
                std::vector<std::string> lines;
                auto found = bundle::best_personality(*candidate.bundle, providers[p], &lines);
                for (const std::string &line : lines)
                    decision.log.push_back(candidate.identifier + " on " +
                                           describe_provider(providers[p]) + ": " + line);
                if (!found)
                    continue;
                if (!candidate.busy.empty()) {
                    busy_matches.push_back(candidate.identifier + " matches it but " +
                                           candidate.busy);
                    continue;
                }
                if (!best || found->score > best->score)
                    best = Best{c, p, found->personality, found->score};
            }
        return best;
    };
    std::optional<Best> best;
    if (!providers.empty())
        best = best_over(0, 1);
    if (!best && providers.size() > 1) // no device driver: the composite device's interfaces
        best = best_over(1, providers.size());
    if (!best) {
        if (!busy_matches.empty())
            decision.reason = busy_matches.front() + " (netdext runs one device per driver)";
        else if (candidates.empty())
            decision.reason = "no driver waits for a device (activate a USB or PCI driver first)";
        else
            decision.reason = "no personality of the " + std::to_string(candidates.size()) +
                              " waiting driver(s) matches the " + model + " device (" +
                              describe_provider(providers.front()) + ")";
        return decision;
    }
    decision.matched = true;
    decision.candidate = best->candidate;
    decision.provider = best->provider;
    decision.personality = best->personality;
    decision.score = best->score;
    const DriverCandidate &winner = candidates[best->candidate];
    std::string why;
    decision.entitled =
        bundle::transport_entitled(*winner.bundle, providers[best->provider], why);
    if (!decision.entitled)
        decision.reason = winner.identifier + " matches (personality " + best->personality->name +
                          ") but is not entitled to the device: " + why;
    return decision;
}

} // namespace netdext::devices
