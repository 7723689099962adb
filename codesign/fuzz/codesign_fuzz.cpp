// Fuzz target: the signature reader. The input is a CodeResources document (what a bundle's
// _CodeSignature/CodeResources holds, under an attacker's control); whatever parses must describe
// itself consistently. A first byte '#' sends the rest to the entitlements parser instead; '@'
// makes the rest the CodeDirectory inside a CodeResources (so that mutations reach the inner
// document, which the outer one carries as base64).
#include <netdext/codesign/signature.h>

#include "internal.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace netdext::codesign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    if (!text.empty() && text.front() == '#') {
        std::string error;
        if (auto entitlements = netdext::entitlements::Entitlements::parse(text.substr(1), error))
            (void)entitlements->granted_keys();
        return 0;
    }
    std::string wrapped;
    std::string_view document = text;
    if (!text.empty() && text.front() == '@') {
        wrapped = netdext::codesign::detail::code_resources(text.substr(1), {}, PublicKey{});
        document = wrapped;
    }
    Failure failure;
    auto info = parse_signature(document, failure);
    if (!info) {
        if (failure.message.empty())
            std::abort(); // every refusal says why
        return 0;
    }
    if (!valid_team_id(info->team_id) || info->cdhash.size() != 40 ||
        info->cdhash_full.compare(0, 40, info->cdhash) != 0 || info->files.size() > kMaxFiles)
        std::abort();
    for (const auto &[path, digest] : info->files)
        if (path.empty() || path.front() == '/' || digest.size() != 64)
            std::abort();
    return 0;
}
