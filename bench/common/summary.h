// What a benchmark prints about a figure measured over several rounds: median, min and max.
// Header-only; the benchmarks under bench/ include it as "common/summary.h".
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

namespace netdext::bench {

struct Summary {
    double median = 0, min = 0, max = 0;
};

inline Summary summarize(std::vector<double> values) {
    Summary s;
    if (values.empty())
        return s;
    std::sort(values.begin(), values.end());
    size_t mid = values.size() / 2;
    s.median = values.size() % 2 != 0 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    s.min = values.front();
    s.max = values.back();
    return s;
}

inline nlohmann::json to_json(const Summary &s) {
    return {{"median", s.median}, {"min", s.min}, {"max", s.max}};
}

} // namespace netdext::bench
