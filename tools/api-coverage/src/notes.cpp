#include "notes.h"

#include <sstream>

namespace api_coverage {

bool parse_notes(const std::string &contents, const std::string &file_name, Notes &notes,
                 std::string &error) {
    std::istringstream in(contents);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        size_t tab = line.find('\t');
        if (tab == 0 || tab == std::string::npos || tab + 1 >= line.size()) {
            error = file_name + ":" + std::to_string(number) +
                    ": expected \"KEY<TAB>note\" (a class, Class::member or function)";
            return false;
        }
        std::string key = line.substr(0, tab);
        std::string note = line.substr(tab + 1);
        auto [it, inserted] = notes.text.emplace(key, note);
        if (inserted)
            notes.line[key] = number;
        else
            it->second += " " + note;
    }
    return true;
}

} // namespace api_coverage
