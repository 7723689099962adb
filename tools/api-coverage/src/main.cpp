// netdext-api-coverage: writes (or checks) docs/api-coverage.md from the SDK headers.
//
//   netdext-api-coverage --include-dir sdk/include [--notes notes.tsv]
//                        [--output FILE | --check FILE] [--update-command TEXT]
//
// Without --output or --check the document goes to standard output. --check compares it with
// FILE and exits 1 with a diff and the command that updates FILE when they differ (TEXT, by
// default "cmake --build <build-dir> --target api_coverage_update"). Exit status 2: bad usage or
// headers/notes that cannot be read; 1: out of date, or a note that names nothing.

#include "render.h"
#include "scanner.h"

#include <netdext/file_io.h>
#include <netdext/version.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

// A line diff (longest common subsequence), at most `limit` changed lines.
void print_diff(const std::string &expected, const std::string &actual, size_t limit) {
    std::vector<std::string> a = lines_of(actual), b = lines_of(expected);
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            lcs[i][j] =
                a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    size_t i = 0, j = 0, shown = 0;
    while ((i < n || j < m) && shown < limit) {
        if (i < n && j < m && a[i] == b[j]) {
            ++i;
            ++j;
        } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            std::cerr << "-" << (i + 1) << ": " << a[i] << "\n";
            ++i;
            ++shown;
        } else {
            std::cerr << "+" << (j + 1) << ": " << b[j] << "\n";
            ++j;
            ++shown;
        }
    }
    if (shown == limit)
        std::cerr << "… (more differences)\n";
}

int usage(const char *message) {
    std::cerr << "netdext-api-coverage: " << message << "\n"
              << "usage: netdext-api-coverage --include-dir DIR [--notes FILE] "
                 "[--output FILE | --check FILE] [--update-command TEXT]\n";
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    std::string include_dir, notes_path, output, check;
    std::string update_command = "cmake --build <build-dir> --target api_coverage_update";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage("writes docs/api-coverage.md from the SDK headers, or checks it");
            return 0;
        }
        if (arg == "--version") {
            std::cout << netdext::version_text("netdext-api-coverage") << "\n";
            return 0;
        }
        auto value = [&](std::string &into) {
            if (i + 1 >= argc)
                return false;
            into = argv[++i];
            return true;
        };
        bool ok = arg == "--include-dir"      ? value(include_dir)
                  : arg == "--notes"          ? value(notes_path)
                  : arg == "--output"         ? value(output)
                  : arg == "--check"          ? value(check)
                  : arg == "--update-command" ? value(update_command)
                                              : false;
        if (!ok)
            return usage(("bad argument: " + arg).c_str());
    }
    if (include_dir.empty())
        return usage("--include-dir is required");
    if (!output.empty() && !check.empty())
        return usage("--output and --check exclude each other");

    api_coverage::Notes notes;
    std::string error;
    if (!notes_path.empty()) {
        std::string contents;
        if (!netdext::read_file(notes_path, contents)) {
            std::cerr << "netdext-api-coverage: " << notes_path << ": cannot read\n";
            return 2;
        }
        if (!api_coverage::parse_notes(contents, notes_path, notes, error)) {
            std::cerr << "netdext-api-coverage: " << error << "\n";
            return 2;
        }
    }
    api_coverage::Api api;
    if (!api_coverage::scan_sdk(include_dir, api, error)) {
        std::cerr << "netdext-api-coverage: " << error << "\n";
        return 2;
    }
    std::vector<std::string> problems;
    std::string document = api_coverage::render_markdown(api, notes, problems);
    for (const std::string &problem : problems)
        std::cerr << "netdext-api-coverage: " << notes_path << ": " << problem << "\n";

    if (!check.empty()) {
        std::string current;
        if (!netdext::read_file(check, current))
            current.clear();
        if (current != document) {
            std::cerr << "netdext-api-coverage: " << check
                      << " is out of date with the SDK headers (- in the file, + generated):\n";
            print_diff(document, current, 60);
            std::cerr << "\nRun `" << update_command << "` to update " << check
                      << " and commit it with your header change.\n";
            return 1;
        }
        if (!problems.empty())
            return 1;
        std::cout << check << " is up to date (" << api.classes.size() << " classes, "
                  << api.functions.size() << " functions)\n";
        return 0;
    }
    if (!output.empty()) {
        std::ofstream out(output, std::ios::binary | std::ios::trunc);
        out << document;
        if (!out) {
            std::cerr << "netdext-api-coverage: " << output << ": cannot write\n";
            return 2;
        }
        std::cout << "wrote " << output << "\n";
    } else {
        std::cout << document;
    }
    return problems.empty() ? 0 : 1;
}
