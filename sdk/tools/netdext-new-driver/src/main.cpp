/*
 * netdext-new-driver — creates a NetworkingDriverKit driver project that builds against an
 * installed netdext and passes its own tests:
 *
 *     netdext-new-driver MyNic [--bundle-id com.example.MyNic] [--dir ./MyNic]
 *
 * The project (from the template in share/netdext/templates/driver, or --template DIR) has the
 * driver's .iig, .cpp, Info.plist and .entitlements, a CMakeLists.txt using find_package(NetDext)
 * and netdext_add_dext(), GoogleTest tests in the driver test bench, and a README.
 * Exit status: 0 created; 1 bad arguments or the directory exists; 2 the template is missing or
 * a file cannot be written.
 */
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>


#include <CLI/CLI.hpp>

#include <netdext/file_io.h>

namespace fs = std::filesystem;

namespace {

bool is_identifier(const std::string &name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

bool is_bundle_id(const std::string &id) {
    return !id.empty() && id.front() != '.' && id.back() != '.' &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
           });
}

std::string upper_identifier(const std::string &name) {
    std::string out;
    for (char c : name)
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string replace_all(std::string text, const std::string &from, const std::string &to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// The template: --template, else installed beside the tool, else the source tree's.
std::optional<fs::path> find_template(const std::string &given) {
    if (!given.empty())
        return fs::is_directory(given) ? std::optional<fs::path>(given) : std::nullopt;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path installed = self.parent_path().parent_path() / NETDEXT_INSTALLED_TEMPLATE_DIR;
        if (fs::is_directory(installed / "tests"))
            return installed;
    }
    if (fs::is_directory(fs::path(NETDEXT_SOURCE_TEMPLATE_DIR) / "tests"))
        return fs::path(NETDEXT_SOURCE_TEMPLATE_DIR);
    return std::nullopt;
}

// Driver.iig.in → MyNic.iig, tests/driver_test.cpp.in → tests/MyNic_test.cpp, X.in → X.
fs::path output_name(const fs::path &relative, const std::string &name) {
    std::string text = relative.generic_string();
    if (text.size() > 3 && text.compare(text.size() - 3, 3, ".in") == 0)
        text.resize(text.size() - 3);
    text = replace_all(text, "driver_test", name + "_test");
    fs::path path(text);
    std::string file = path.filename().string();
    if (file.rfind("Driver.", 0) == 0)
        path.replace_filename(name + file.substr(6));
    return path;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"netdext-new-driver: creates a NetworkingDriverKit driver project (an echo "
                 "interface to start from) that builds with netdext_add_dext() against an "
                 "installed netdext and passes its tests in the driver test bench"};
    std::string name, bundle_id, dir, template_dir;
    app.add_option("name", name, "the driver's class and target name, a C identifier (MyNic)")
        ->required();
    app.add_option("--bundle-id", bundle_id, "the bundle identifier (default com.example.NAME)");
    app.add_option("--dir", dir, "where to create the project (default ./NAME; must not exist)");
    app.add_option("--template", template_dir, "a template directory instead of netdext's");
    app.set_version_flag("--version", std::string("netdext-new-driver ") + NETDEXT_VERSION);
    app.footer("Then:\n  cmake -S NAME -B NAME/build -DCMAKE_PREFIX_PATH=<netdext prefix>\n"
               "  cmake --build NAME/build && ctest --test-dir NAME/build\n"
               "Exit status: 0 created, 1 bad arguments or existing directory, 2 template or "
               "write error.");
    CLI11_PARSE(app, argc, argv);

    if (!is_identifier(name)) {
        std::cerr << "netdext-new-driver: error: '" << name
                  << "' is not a C++ identifier (letters, digits and _, not starting with a "
                     "digit): it names the driver's class\n";
        return 1;
    }
    if (bundle_id.empty())
        bundle_id = "com.example." + name;
    if (!is_bundle_id(bundle_id)) {
        std::cerr << "netdext-new-driver: error: '" << bundle_id
                  << "' is not a bundle identifier (reverse DNS: letters, digits, '-' and '.')\n";
        return 1;
    }
    fs::path target = dir.empty() ? fs::path(name) : fs::path(dir);
    std::error_code ec;
    if (fs::exists(target, ec) && !(fs::is_directory(target) && fs::is_empty(target))) {
        std::cerr << "netdext-new-driver: error: " << target.string()
                  << " already exists; choose another --dir\n";
        return 1;
    }
    std::optional<fs::path> source = find_template(template_dir);
    if (!source) {
        std::cerr << "netdext-new-driver: error: no driver template found"
                  << (template_dir.empty() ? " (is netdext installed completely?)"
                                           : " at " + template_dir)
                  << "\n";
        return 2;
    }

    std::vector<fs::path> written;
    for (const auto &entry : fs::recursive_directory_iterator(*source)) {
        if (!entry.is_regular_file())
            continue;
        fs::path relative = fs::relative(entry.path(), *source);
        fs::path out = target / output_name(relative, name);
        std::string text;
        if (!netdext::read_file(entry.path().string(), text)) {
            std::cerr << "netdext-new-driver: error: cannot read " << entry.path().string() << "\n";
            return 2;
        }
        text = replace_all(text, "@NAME_UPPER@", upper_identifier(name));
        text = replace_all(text, "@NAME@", name);
        text = replace_all(text, "@BUNDLE_ID@", bundle_id);
        fs::create_directories(out.parent_path(), ec);
        std::ofstream file(out, std::ios::binary);
        file << text;
        if (!file.flush()) {
            std::cerr << "netdext-new-driver: error: cannot write " << out.string() << "\n";
            return 2;
        }
        written.push_back(out);
    }
    std::sort(written.begin(), written.end());
    std::cout << "Created " << name << " (" << bundle_id << ") in " << target.string() << ":\n";
    for (const fs::path &path : written)
        std::cout << "  " << path.string() << "\n";
    std::cout << "Build and test it:\n"
              << "  cmake -S " << target.string() << " -B " << (target / "build").string()
              << " -DCMAKE_PREFIX_PATH=<netdext install prefix>\n"
              << "  cmake --build " << (target / "build").string() << "\n"
              << "  ctest --test-dir " << (target / "build").string() << " --output-on-failure\n";
    return 0;
}
