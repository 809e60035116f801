#pragma once
// A strict reader of the Prometheus text exposition format (0.0.4), for tests:
// it refuses what a Prometheus server would refuse (bad names, bad escapes,
// unquoted label values, samples of an undeclared family, TYPE after samples,
// duplicate series) and returns every sample with its labels unescaped.
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::testing {

struct prom_sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct prom_family {
    std::string help;
    std::string type;
};

struct prom_parse_result {
    std::vector<prom_sample> samples;
    std::map<std::string, prom_family> families;
    std::string error;   // "" = valid; else "line N: why"

    // The value of the one sample with this name and exactly these labels.
    std::optional<double> value(std::string_view name, const std::map<std::string, std::string>& labels = {}) const {
        for (const auto& s : samples)
            if (s.name == name && s.labels == labels) return s.value;
        return std::nullopt;
    }
    // Sum over every sample of this name whose labels include `match`.
    double sum(std::string_view name, const std::map<std::string, std::string>& match = {}) const {
        double total = 0;
        for (const auto& s : samples) {
            if (s.name != name) continue;
            bool ok = true;
            for (const auto& [k, v] : match) {
                auto it = s.labels.find(k);
                ok = ok && it != s.labels.end() && it->second == v;
            }
            if (ok) total += s.value;
        }
        return total;
    }
};

namespace prom_detail {

inline bool name_char(char c, bool first, bool colon) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return alpha || (!first && c >= '0' && c <= '9');
}

inline std::size_t read_name(std::string_view s, std::size_t i, bool colon) {
    std::size_t j = i;
    while (j < s.size() && name_char(s[j], j == i, colon)) ++j;
    return j;
}

inline std::optional<double> parse_value(std::string_view v) {
    if (v == "+Inf" || v == "Inf") return HUGE_VAL;
    if (v == "-Inf") return -HUGE_VAL;
    if (v == "NaN") return NAN;
    if (v.empty()) return std::nullopt;
    std::string copy(v);
    char* end = nullptr;
    const double d = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) return std::nullopt;
    return d;
}

// The family a sample belongs to (histogram suffixes stripped when declared so).
inline std::string family_of(const std::string& name, const std::map<std::string, prom_family>& families) {
    if (families.count(name)) return name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
            auto base = name.substr(0, name.size() - suffix.size());
            auto it = families.find(base);
            if (it != families.end() && (it->second.type == "histogram" || it->second.type == "summary")) return base;
        }
    }
    return {};
}

}  // namespace prom_detail

inline prom_parse_result parse_prometheus_text(std::string_view text) {
    using namespace prom_detail;
    prom_parse_result out;
    std::set<std::string> with_samples;
    std::set<std::string> series;
    std::size_t line_no = 0;
    auto fail = [&](std::string why) {
        out.error = "line " + std::to_string(line_no) + ": " + why;
        return out;
    };
    if (!text.empty() && text.back() != '\n') return fail("the text must end with a newline");
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++line_no;
        const auto nl = text.find('\n', pos);
        const std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) continue;
        if (line.starts_with("#")) {
            const bool help = line.starts_with("# HELP ");
            const bool type = line.starts_with("# TYPE ");
            if (!help && !type) continue;   // a plain comment
            const std::string_view rest = line.substr(7);
            const auto end = read_name(rest, 0, true);
            if (end == 0 || (end < rest.size() && rest[end] != ' ')) return fail("bad metric name in HELP/TYPE");
            const std::string name(rest.substr(0, end));
            const std::string_view arg = end < rest.size() ? rest.substr(end + 1) : std::string_view{};
            auto& fam = out.families[name];
            if (with_samples.count(name)) return fail("HELP/TYPE for " + name + " after its samples");
            if (help) {
                for (std::size_t k = 0; k < arg.size(); ++k)
                    if (arg[k] == '\\' && (k + 1 >= arg.size() || (arg[k + 1] != '\\' && arg[k + 1] != 'n')))
                        return fail("bad escape in HELP of " + name);
                    else if (arg[k] == '\\') ++k;
                fam.help = std::string(arg);
            } else {
                if (!fam.type.empty()) return fail("second TYPE for " + name);
                if (arg != "counter" && arg != "gauge" && arg != "histogram" && arg != "summary" && arg != "untyped")
                    return fail("unknown type " + std::string(arg));
                fam.type = std::string(arg);
            }
            continue;
        }
        prom_sample s;
        const auto name_end = read_name(line, 0, true);
        if (name_end == 0) return fail("bad metric name");
        s.name = std::string(line.substr(0, name_end));
        std::size_t i = name_end;
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const auto le = read_name(line, i, false);
                if (le == i) return fail("bad label name");
                const std::string label(line.substr(i, le - i));
                i = le;
                if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return fail("label value must be quoted");
                i += 2;
                std::string value;
                bool closed = false;
                while (i < line.size()) {
                    const char c = line[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i >= line.size()) return fail("dangling escape");
                        const char e = line[i++];
                        if (e == 'n') value.push_back('\n');
                        else if (e == '\\' || e == '"') value.push_back(e);
                        else return fail("bad escape in a label value");
                    } else {
                        value.push_back(c);
                    }
                }
                if (!closed) return fail("unterminated label value");
                if (!s.labels.emplace(label, value).second) return fail("label " + label + " twice");
                if (i < line.size() && line[i] == ',') ++i;
            }
            if (i >= line.size()) return fail("unterminated label set");
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') return fail("a space must separate the sample from its value");
        std::string_view value = line.substr(i + 1);
        if (const auto sp = value.find(' '); sp != std::string_view::npos) value = value.substr(0, sp);   // timestamp
        const auto v = parse_value(value);
        if (!v) return fail("bad value '" + std::string(value) + "'");
        s.value = *v;
        const auto fam = family_of(s.name, out.families);
        if (fam.empty()) return fail("sample " + s.name + " has no TYPE before it");
        with_samples.insert(fam);
        std::string key = s.name;
        for (const auto& [k, val] : s.labels) key += "|" + k + "=" + val;
        if (!series.insert(key).second) return fail("duplicate series " + key);
        out.samples.push_back(std::move(s));
    }
    return out;
}

}  // namespace deploybot::testing
