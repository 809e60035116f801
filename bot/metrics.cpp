#include "bot/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace deploybot::metrics {

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
    std::sort(bounds_.begin(), bounds_.end());
    bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    std::erase_if(bounds_, [](double b) { return !std::isfinite(b); });
    counts_.assign(bounds_.size() + 1, 0);
}

void histogram::observe(double v) noexcept {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    ++counts_[i];
    sum_ += v;
    ++count_;
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out.push_back(c);
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out.push_back(c);
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

namespace {

std::string_view type_name(metric_type t) {
    switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
    }
    return "untyped";
}

// Metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool valid_name(std::string_view n, bool label) {
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return !(label && n.starts_with("__"));
}

// `{a="x",b="y"}` (with `extra` appended, e.g. le="0.5"), or "" when empty.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra = {}) {
    if (names.empty() && extra.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        out += names[i];
        out += "=\"";
        out += escape_label_value(values[i]);
        out += '"';
    }
    if (!extra.empty()) {
        if (!names.empty()) out += ',';
        out += extra;
    }
    out += '}';
    return out;
}

void write_sample(std::string& out, std::string_view name, std::string_view suffix, std::string_view labels, double v) {
    out += name;
    out += suffix;
    out += labels;
    out += ' ';
    out += format_value(v);
    out += '\n';
}

}  // namespace

family_base::family_base(std::string name, std::string help, metric_type type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
    if (!valid_name(name_, false)) throw std::logic_error("invalid metric name: " + name_);
    for (const auto& l : label_names_)
        if (!valid_name(l, true) || (type_ == metric_type::histogram && l == "le"))
            throw std::logic_error("invalid label name for " + name_ + ": " + l);
}

std::ptrdiff_t family_base::find(std::initializer_list<std::string_view> values) const {
    if (values.size() != label_names_.size())
        throw std::logic_error("metric " + name_ + ": wrong number of label values");
    for (std::size_t i = 0; i < label_values_.size(); ++i)
        if (std::equal(values.begin(), values.end(), label_values_[i].begin()))
            return static_cast<std::ptrdiff_t>(i);
    return -1;
}

void family_base::add_labels(std::initializer_list<std::string_view> values) {
    label_values_.emplace_back(values.begin(), values.end());
}

void family_base::render(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    out += escape_help(help_);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += type_name(type_);
    out += '\n';
    for (std::size_t i = 0; i < label_values_.size(); ++i) render_child(out, i, label_set(label_names_, label_values_[i]));
}

template <>
void family<counter>::render_child(std::string& out, std::size_t i, const std::string& labels) const {
    write_sample(out, name(), "", labels, children_[i].value());
}

template <>
void family<gauge>::render_child(std::string& out, std::size_t i, const std::string& labels) const {
    write_sample(out, name(), "", labels, children_[i].value());
}

template <>
void family<histogram>::render_child(std::string& out, std::size_t i, const std::string& labels) const {
    const auto& h = children_[i];
    // Label values again, with le= added: rebuild from the plain set.
    const std::string inner = labels.empty() ? std::string() : labels.substr(1, labels.size() - 2);
    auto with_le = [&](std::string_view le) {
        std::string s = "{";
        if (!inner.empty()) s += inner + ",";
        s += "le=\"";
        s += le;
        s += "\"}";
        return s;
    };
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < h.bounds().size(); ++b) {
        cumulative += h.bucket_counts()[b];
        write_sample(out, name(), "_bucket", with_le(format_value(h.bounds()[b])), static_cast<double>(cumulative));
    }
    write_sample(out, name(), "_bucket", with_le("+Inf"), static_cast<double>(h.count()));
    write_sample(out, name(), "_sum", labels, h.sum());
    write_sample(out, name(), "_count", labels, static_cast<double>(h.count()));
}

family_base* registry::existing(const std::string& name, metric_type type,
                                const std::vector<std::string>& labels) const {
    for (const auto& f : families_) {
        if (f->name() != name) continue;
        if (f->type() != type || f->label_names() != labels)
            throw std::logic_error("metric " + name + " registered twice with different type or labels");
        return f.get();
    }
    return nullptr;
}

family<counter>& registry::counters(std::string name, std::string help, std::vector<std::string> label_names) {
    if (auto* f = existing(name, metric_type::counter, label_names)) return static_cast<family<counter>&>(*f);
    auto f = std::make_unique<family<counter>>(std::move(name), std::move(help), metric_type::counter,
                                               std::move(label_names), [] { return counter{}; });
    auto& ref = *f;
    families_.push_back(std::move(f));
    return ref;
}

family<gauge>& registry::gauges(std::string name, std::string help, std::vector<std::string> label_names) {
    if (auto* f = existing(name, metric_type::gauge, label_names)) return static_cast<family<gauge>&>(*f);
    auto f = std::make_unique<family<gauge>>(std::move(name), std::move(help), metric_type::gauge,
                                             std::move(label_names), [] { return gauge{}; });
    auto& ref = *f;
    families_.push_back(std::move(f));
    return ref;
}

family<histogram>& registry::histograms(std::string name, std::string help, std::vector<std::string> label_names,
                                        std::vector<double> bounds) {
    if (auto* f = existing(name, metric_type::histogram, label_names)) return static_cast<family<histogram>&>(*f);
    auto f = std::make_unique<family<histogram>>(std::move(name), std::move(help), metric_type::histogram,
                                                 std::move(label_names),
                                                 [bounds = std::move(bounds)] { return histogram(bounds); });
    auto& ref = *f;
    families_.push_back(std::move(f));
    return ref;
}

counter& registry::counter_metric(std::string name, std::string help) {
    return counters(std::move(name), std::move(help)).with({});
}

gauge& registry::gauge_metric(std::string name, std::string help) {
    return gauges(std::move(name), std::move(help)).with({});
}

void registry::add_collector(std::function<void()> collect) { collectors_.push_back(std::move(collect)); }

std::string registry::render() {
    for (const auto& c : collectors_) c();
    std::string out;
    out.reserve(4096);
    for (const auto& f : families_) f->render(out);
    return out;
}

}  // namespace deploybot::metrics
