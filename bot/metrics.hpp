#pragma once
// A tiny Prometheus registry: counters, gauges and one histogram type, each
// in a family with fixed label names. Everything runs on the app's one loop
// thread, so nothing here locks. Children are created once and handed out by
// reference (stable for the registry's lifetime): hot paths keep the
// reference and only add to a double.
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::metrics {

class counter {
public:
    void inc(double by = 1) noexcept { value_ += by; }
    double value() const noexcept { return value_; }

private:
    double value_ = 0;
};

class gauge {
public:
    void set(double v) noexcept { value_ = v; }
    void inc(double by = 1) noexcept { value_ += by; }
    void dec(double by = 1) noexcept { value_ -= by; }
    double value() const noexcept { return value_; }

private:
    double value_ = 0;
};

// Fixed upper bounds (ascending, +Inf implied); observe() is a short linear scan.
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    const std::vector<double>& bounds() const noexcept { return bounds_; }
    // Per bucket, not cumulative; one more entry than bounds() (the +Inf bucket).
    const std::vector<std::uint64_t>& bucket_counts() const noexcept { return counts_; }
    double sum() const noexcept { return sum_; }
    std::uint64_t count() const noexcept { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

enum class metric_type { counter, gauge, histogram };

class family_base {
public:
    family_base(std::string name, std::string help, metric_type type, std::vector<std::string> label_names);
    virtual ~family_base() = default;
    const std::string& name() const { return name_; }
    metric_type type() const { return type_; }
    const std::vector<std::string>& label_names() const { return label_names_; }
    // Appends HELP, TYPE and every sample in Prometheus text format 0.0.4.
    void render(std::string& out) const;

protected:
    // Index of the child with these label values, or -1. Cold path (creation).
    std::ptrdiff_t find(std::initializer_list<std::string_view> values) const;
    void add_labels(std::initializer_list<std::string_view> values);
    virtual void render_child(std::string& out, std::size_t i, const std::string& labels) const = 0;

private:
    std::string name_, help_;
    metric_type type_;
    std::vector<std::string> label_names_;
    std::vector<std::vector<std::string>> label_values_;   // one entry per child, in creation order
};

// with() returns the child for these label values (in label_names order),
// creating it on first use. Look a child up once and keep the reference.
template <class Metric>
class family final : public family_base {
public:
    family(std::string name, std::string help, metric_type type, std::vector<std::string> label_names,
           std::function<Metric()> make)
        : family_base(std::move(name), std::move(help), type, std::move(label_names)), make_(std::move(make)) {}

    Metric& with(std::initializer_list<std::string_view> values) {
        if (const auto i = find(values); i >= 0) return children_[static_cast<std::size_t>(i)];
        add_labels(values);
        children_.push_back(make_());
        return children_.back();
    }

private:
    std::function<Metric()> make_;
    std::deque<Metric> children_;   // a deque: references stay valid as it grows

    void render_child(std::string& out, std::size_t i, const std::string& labels) const override;
};

template <>
void family<counter>::render_child(std::string& out, std::size_t i, const std::string& labels) const;
template <>
void family<gauge>::render_child(std::string& out, std::size_t i, const std::string& labels) const;
template <>
void family<histogram>::render_child(std::string& out, std::size_t i, const std::string& labels) const;

// Families in registration order. Registering a name again returns the same
// family when type and label names agree (std::logic_error otherwise: a bug).
class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    family<counter>& counters(std::string name, std::string help, std::vector<std::string> label_names = {});
    family<gauge>& gauges(std::string name, std::string help, std::vector<std::string> label_names = {});
    family<histogram>& histograms(std::string name, std::string help, std::vector<std::string> label_names,
                                  std::vector<double> bounds);

    // Shorthands for a family without labels (its one child, created now so it shows as 0).
    counter& counter_metric(std::string name, std::string help);
    gauge& gauge_metric(std::string name, std::string help);

    // Runs just before render(): fills gauges from state that is cheaper to
    // read on a scrape than to track (connection status, open watches).
    void add_collector(std::function<void()> collect);

    // Runs the collectors, then the whole registry as Prometheus text.
    std::string render();

private:
    std::vector<std::unique_ptr<family_base>> families_;
    std::vector<std::function<void()>> collectors_;

    family_base* existing(const std::string& name, metric_type type, const std::vector<std::string>& labels) const;
};

// Pure helpers of the text format, exposed for tests.
std::string escape_label_value(std::string_view v);   // \ " and newline
std::string escape_help(std::string_view v);          // \ and newline
std::string format_value(double v);                   // shortest round-trip; +Inf, -Inf, NaN

}  // namespace deploybot::metrics
