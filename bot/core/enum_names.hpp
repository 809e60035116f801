#pragma once
// Enum <-> name for enums described with BOOST_DESCRIBE_ENUM: the name is the
// enumerator's own spelling, so a new enumerator needs no table.
#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>

#include <optional>
#include <string_view>

namespace deploybot {

// The enumerator's name; `fallback` for a value that is not an enumerator.
template <class E>
std::string_view enum_name(E e, std::string_view fallback = {}) noexcept {
    std::string_view out = fallback;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (d.value == e) out = d.name;
    });
    return out;
}

// The enumerator named `s` (exact spelling), if any.
template <class E>
std::optional<E> enum_from_name(std::string_view s) noexcept {
    std::optional<E> out;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (!out && s == d.name) out = d.value;
    });
    return out;
}

}  // namespace deploybot
