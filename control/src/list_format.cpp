#include <netdext/control/list_format.h>

#include <map>
#include <vector>

namespace netdext::control {

std::string format_list(const nlohmann::json &list_result, const std::string &category) {
    using nlohmann::json;
    std::map<std::string, std::vector<const json *>> by_category;
    size_t count = 0;
    const json empty = json::array();
    const json &extensions =
        list_result.contains("extensions") ? list_result["extensions"] : empty;
    for (const json &e : extensions) {
        std::string cat = e.value("category", std::string());
        if (!category.empty() && cat != category)
            continue;
        by_category[cat].push_back(&e);
        ++count;
    }
    std::string out;
    if (!category.empty())
        out += "Category: " + category + "\n";
    out += std::to_string(count) + " extension(s)\n";
    for (const auto &[cat, rows] : by_category) {
        out += "--- " + cat + "\n";
        out += "enabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n";
        for (const json *e : rows) {
            const json &version = (*e)["version"];
            out += std::string(e->value("enabled", false) ? "*" : "") + "\t" +
                   (e->value("active", false) ? "*" : "") + "\t" +
                   e->value("teamID", std::string("-")) + "\t" +
                   e->value("identifier", std::string()) + " (" +
                   version.value("CFBundleShortVersionString", std::string()) + "/" +
                   version.value("CFBundleVersion", std::string()) + ")\t" +
                   e->value("name", std::string()) + "\t[" +
                   e->value("state_text", std::string()) + "]\n";
        }
    }
    if (count == 0)
        return out;
    out += "--- netdext\n";
    out += "bundleID\tinterface\tpid\tcrashes\tdriver\n";
    for (const auto &[cat, rows] : by_category) {
        for (const json *e : rows) {
            const json &own = e->contains("netdext") ? (*e)["netdext"] : json::object();
            const std::string interface = own.value("interface", std::string());
            const int pid = own.value("pid", 0);
            out += e->value("identifier", std::string()) + "\t" +
                   (interface.empty() ? "-" : interface) + "\t" +
                   (pid > 0 ? std::to_string(pid) : "-") + "\t" +
                   std::to_string(own.value("crashes", 0)) + "\t" +
                   own.value("driver", std::string("-")) +
                   (e->value("ephemeral", false) ? " (--run)" : "") + "\n";
        }
    }
    return out;
}

} // namespace netdext::control
