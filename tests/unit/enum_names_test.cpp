// Enum names come from BOOST_DESCRIBE_ENUM: every enumerator round-trips, and
// the stored words existing databases hold still parse.
#include "bot/core/enum_names.hpp"
#include "commands/workflow/ci_verdict.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "commands/workflow/watch.hpp"

#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>
#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace deploybot;

namespace {
template <class E, class Parse>
void round_trips(Parse parse) {
    std::set<std::string> names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        const auto name = std::string(to_string(d.value));
        CAPTURE(name);
        CHECK(!name.empty());
        CHECK(names.insert(name).second);   // distinct
        CHECK(parse(name) == d.value);
    });
    CHECK(names.size() == boost::mp11::mp_size<boost::describe::describe_enumerators<E>>::value);
}
}  // namespace

TEST_CASE("enum names: every enumerator has a distinct stored name that parses back") {
    round_trips<request_state>([](std::string_view s) { return parse_request_state(s).value(); });
    round_trips<record_kind>([](std::string_view s) { return parse_record_kind(s); });
    round_trips<item_key>([](std::string_view s) { return parse_item_key(s).value(); });
    round_trips<item_state>([](std::string_view s) { return parse_item_state(s).value(); });
    round_trips<watch_phase>([](std::string_view s) { return parse_watch_phase(s); });
}

TEST_CASE("enum names: the words on disk are kept; unknown words are not guessed") {
    CHECK(to_string(request_state::outcome_unknown) == "unknown");   // stored so since it was added
    CHECK(parse_request_state("unknown") == request_state::outcome_unknown);
    CHECK_FALSE(parse_request_state("outcome_unknown"));
    CHECK(to_string(request_state::rolled_back) == "rolled_back");
    CHECK(to_string(item_state::not_applicable) == "not_applicable");
    CHECK(to_string(ci_state::red) == "red");
    CHECK(to_string(flags_choice::not_needed) == "not_needed");
    CHECK_FALSE(parse_item_key("Tests"));             // exact spelling only
    CHECK_FALSE(parse_request_state("live "));
    CHECK(parse_record_kind("nonsense") == record_kind::production);
    CHECK(parse_watch_phase("") == watch_phase::none);
    CHECK(enum_name(static_cast<item_key>(99), "?") == "?");
    CHECK(enum_from_name<ci_state>("pending") == ci_state::pending);
}
