// netdext-codesign: sign, verify and display the signatures of .dext bundles, shaped like
// macOS's codesign (docs/codesign.md).
//
//   netdext-codesign --generate-identity FILE --team-id TEAMID [--name NAME] [-f]
//   netdext-codesign -s IDENTITY [-f] [--entitlements FILE] BUNDLE…
//   netdext-codesign --verify [--verbose[=N]] [--trust-dir DIR] BUNDLE…     (or -v, -vv …)
//   netdext-codesign -d [-v…] [--entitlements -|FILE] BUNDLE…
//
// As in codesign, -v means --verify unless -s or -d is given, where it raises the verbosity.
// Exit status: 0 success, 1 a signature is missing, invalid or could not be made, 2 bad
// command line, 3 the signature is valid but its team is not trusted (untrusted, other key,
// expired).

#include <netdext/codesign/signature.h>
#include <netdext/registry/wire.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

using namespace netdext::codesign;

constexpr int kExitFailed = 1, kExitUsage = 2, kExitRequirement = 3;

std::string absolute(const std::string &path) {
    char *resolved = ::realpath(path.c_str(), nullptr);
    std::string out = resolved != nullptr ? resolved : path;
    std::free(resolved);
    return out;
}

std::string slurp(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// "ELF 64-bit shared object (x86_64)" from the executable's ELF header.
std::string format_of(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char h[20] = {};
    in.read(reinterpret_cast<char *>(h), sizeof h);
    if (in.gcount() < 20 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
        return "generic";
    const unsigned machine = h[5] == 2 ? unsigned(h[18]) << 8 | h[19] : unsigned(h[19]) << 8 | h[18];
    const unsigned type = h[5] == 2 ? unsigned(h[16]) << 8 | h[17] : unsigned(h[17]) << 8 | h[16];
    const char *arch = machine == 0x3e ? "x86_64" : machine == 0xb7 ? "arm64" : machine == 0x03 ? "i386" : "other";
    return std::string("ELF ") + (h[4] == 2 ? "64-bit " : "32-bit ") +
           (type == 3 ? "shared object" : "file") + " (" + arch + ")";
}

int report(const std::string &bundle, const Failure &failure) {
    std::fputs(failure.describe(bundle).c_str(), stderr);
    switch (failure.kind) {
    case FailureKind::untrusted_team:
    case FailureKind::wrong_key:
    case FailureKind::expired:
        return kExitRequirement;
    case FailureKind::usage:
        return kExitUsage;
    default:
        return kExitFailed;
    }
}

int generate(const std::string &path, const std::string &team, const std::string &name,
             bool force) {
    std::string error;
    auto identity = Identity::generate(team, name, error);
    if (!identity || !identity->write(path, force, error)) {
        std::fprintf(stderr, "netdext-codesign: %s\n", error.c_str());
        return identity ? kExitFailed : kExitUsage;
    }
    std::printf("%s: signing identity of team %s (%s), key %s\n"
                "%s.pub: its public part, for `netdextctl trust add`\n",
                path.c_str(), team.c_str(), identity->public_identity().name.c_str(),
                identity->public_identity().fingerprint().c_str(), path.c_str());
    return 0;
}

int sign(const std::vector<std::string> &bundles, const std::string &identity_path,
         const SignOptions &options, int verbosity) {
    std::string error;
    auto identity = Identity::read(identity_path, error);
    if (!identity) {
        std::fprintf(stderr, "netdext-codesign: %s\n", error.c_str());
        return kExitUsage;
    }
    int status = 0;
    for (const std::string &bundle : bundles) {
        Failure failure;
        if (!sign_bundle(bundle, *identity, options, failure)) {
            status = std::max(status, report(bundle, failure));
            continue;
        }
        if (verbosity > 0)
            std::fprintf(stderr, "%s: signed by team %s, key %s\n", bundle.c_str(),
                         identity->public_identity().team_id.c_str(),
                         identity->public_identity().fingerprint().c_str());
    }
    return status;
}

int verify(const std::vector<std::string> &bundles, const std::string &trust_dir,
           int verbosity) {
    std::optional<TrustStore> trust;
    if (!trust_dir.empty()) {
        std::string error;
        trust = TrustStore::open(trust_dir, false, error);
        if (!trust) {
            std::fprintf(stderr, "netdext-codesign: --trust-dir %s\n", error.c_str());
            return kExitUsage;
        }
    }
    VerifyOptions options;
    options.trust = trust ? &*trust : nullptr;
    int status = 0;
    for (const std::string &bundle : bundles) {
        Failure failure;
        auto code = verify_bundle(bundle, options, failure);
        if (!code) {
            status = std::max(status, report(bundle, failure));
            continue;
        }
        if (verbosity > 0) {
            std::fprintf(stderr, "%s: valid on disk\n", bundle.c_str());
            if (trust)
                std::fprintf(stderr, "%s: signed by a trusted key of team %s\n", bundle.c_str(),
                             code->signature.team_id.c_str());
            else
                std::fprintf(stderr,
                             "%s: signed by team %s (no --trust-dir: the team is not checked)\n",
                             bundle.c_str(), code->signature.team_id.c_str());
        }
    }
    return status;
}

int display(const std::vector<std::string> &bundles, int verbosity,
            const std::string &entitlements_out) {
    int status = 0;
    for (const std::string &bundle : bundles) {
        Failure failure;
        auto info = read_signature(bundle, failure);
        if (!info) {
            status = std::max(status, report(bundle, failure));
            continue;
        }
        const std::string root = absolute(bundle);
        std::string out = "Executable=" + root + "/" + info->executable + "\n";
        if (verbosity >= 1) {
            out += "Identifier=" + info->identifier + "\n";
            out += "Format=bundle with " + format_of(root + "/" + info->executable) + "\n";
            out += "CodeDirectory v=1 size=" + std::to_string(info->code_directory_size) +
                   " flags=0x0(none) hashes=" + std::to_string(info->files.size()) +
                   " location=embedded\n";
        }
        if (verbosity >= 3) {
            out += "Hash type=sha256 size=32\n";
            out += "CandidateCDHashFull sha256=" + info->cdhash_full + "\n";
            out += "CDHash=" + info->cdhash + "\n";
        }
        if (verbosity >= 1)
            out += "Signature size=" + std::to_string(info->signature_size) + "\n";
        if (verbosity >= 2)
            out += "Authority=" + info->signer + " (" + info->team_id + ", key " +
                   info->key.fingerprint() + ")\n";
        if (verbosity >= 1) {
            out += "Signed Time=" + format_date(info->signing_time) + "\n";
            netdext::registry::WireError error;
            auto plist = netdext::registry::value_from_plist(slurp(root + "/Info.plist"), error);
            out += "Info.plist entries=" +
                   (plist ? std::to_string(plist->members().size()) : std::string("(unreadable)")) +
                   "\n";
            out += "TeamIdentifier=" + info->team_id + "\n";
            out += "Sealed Resources version=1 files=" + std::to_string(info->files.size()) +
                   "\n";
        }
        if (verbosity >= 4)
            for (const auto &[path, digest] : info->files)
                out += "Sealed " + path + " sha256=" + digest + "\n";
        std::fputs(out.c_str(), stderr);
        if (!entitlements_out.empty()) {
            const std::string bytes = slurp(root + "/Entitlements.plist");
            if (entitlements_out == "-" || entitlements_out == ":-") {
                std::fwrite(bytes.data(), 1, bytes.size(), stdout);
            } else {
                std::ofstream file(entitlements_out, std::ios::binary);
                file << bytes;
                if (!file) {
                    std::fprintf(stderr, "netdext-codesign: cannot write %s\n",
                                 entitlements_out.c_str());
                    status = kExitFailed;
                }
            }
        }
    }
    return status;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app("netdext-codesign: sign .dext bundles with a team's ed25519 key, verify them and "
                 "show what a signature says — the way macOS's codesign does for Apple's "
                 "bundles. A signature seals every file of the bundle (Info.plist, the "
                 "executable, Entitlements.plist, resources) and names the team.",
                 "netdext-codesign");
    std::string identity_path, generate_path, team_id, name, entitlements, trust_dir;
    int v_count = 0, verbose = 0;
    bool verify_flag = false, display_flag = false, force = false;
    std::vector<std::string> bundles;
    app.add_option("-s,--sign", identity_path, "Sign with this identity file");
    app.add_flag("-v", v_count,
                 "--verify; with -s or -d, more verbose (repeat: -vv, -vvv, -vvvv)");
    app.add_flag("--verify", verify_flag, "Verify the bundles' signatures");
    app.add_flag("--verbose{1}", verbose, "Verbosity (--verbose=N)");
    app.add_flag("-d,--display", display_flag, "Show what the bundles' signatures say");
    app.add_flag("-f,--force", force, "Replace an existing signature or identity file");
    app.add_option("--entitlements", entitlements,
                   "With -s: the entitlements plist to seal into the bundle. With -d: where to "
                   "write the bundle's entitlements (- for standard output)");
    app.add_option("--trust-dir", trust_dir,
                   "With --verify: the trusted team keys (netdextd's trust store); without it "
                   "only the signature's integrity is checked");
    app.add_option("--generate-identity", generate_path,
                   "Make a new signing identity (and FILE.pub, its public part)");
    app.add_option("--team-id", team_id, "The identity's team ID: 10 letters A-Z and digits");
    app.add_option("--name", name, "Who holds the identity (default: the team ID)");
    app.set_version_flag("--version", std::string("netdext-codesign ") + NETDEXT_VERSION);
    app.add_option("bundle", bundles, "The .dext bundles");
    app.footer("Exit status: 0 success; 1 a signature is missing, invalid or could not be "
               "made; 2 bad command line; 3 valid, but the team is not trusted (untrusted, "
               "another key, expired).");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &error) {
        return app.exit(error) == 0 ? 0 : kExitUsage;
    }
    const bool signing = !identity_path.empty();
    const bool generating = !generate_path.empty();
    const bool verifying = !signing && !display_flag && (verify_flag || v_count > 0);
    const int actions = int(signing) + int(generating) + int(verifying) + int(display_flag);
    if (actions != 1) {
        std::fprintf(stderr, "netdext-codesign: give one of -s, --verify (-v), -d or "
                             "--generate-identity (see --help)\n");
        return kExitUsage;
    }
    if (generating) {
        if (team_id.empty() || !bundles.empty()) {
            std::fprintf(stderr,
                         "netdext-codesign: --generate-identity FILE needs --team-id and no "
                         "bundle\n");
            return kExitUsage;
        }
        return generate(generate_path, team_id, name, force);
    }
    if (bundles.empty()) {
        std::fprintf(stderr, "netdext-codesign: no bundle given\n");
        return kExitUsage;
    }
    if (signing) {
        SignOptions options;
        options.replace = force;
        options.entitlements_file = entitlements;
        return sign(bundles, identity_path, options, v_count + verbose);
    }
    if (verifying)
        return verify(bundles, trust_dir, (v_count > 0 ? v_count - 1 : 0) + verbose);
    return display(bundles, v_count + verbose, entitlements);
}
