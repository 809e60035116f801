// Request targets are built by Boost.URL: what the services receive.
#include "integrations/url_build.hpp"

#include <doctest/doctest.h>

using namespace deploybot;

TEST_CASE("url_build: segments escape everything but unreserved characters") {
    CHECK(url_build::segment("prj_abc-1.2~x") == "prj_abc-1.2~x");
    CHECK(url_build::segment("feature/x y") == "feature%2Fx%20y");
    CHECK(url_build::segment("a&b=c?d#e") == "a%26b%3Dc%3Fd%23e");
    CHECK(url_build::segment("ü") == "%C3%BC");
    CHECK(url_build::path("feature/x y") == "feature/x%20y");
}

TEST_CASE("url_build: a query is appended with each key and value encoded") {
    CHECK(url_build::with_query("https://api.vercel.com/v9/projects/p", {}) == "https://api.vercel.com/v9/projects/p");
    CHECK(url_build::with_query("https://api.vercel.com/v6/deployments", {{"teamId", "team_1"}, {"target", "a b&c"}}) ==
          "https://api.vercel.com/v6/deployments?teamId=team_1&target=a%20b%26c");
    // A URL that already has a query keeps it.
    CHECK(url_build::with_query("http://127.0.0.1:9/x?limit=5", {{"k", "v"}}) == "http://127.0.0.1:9/x?limit=5&k=v");
    // Keys may repeat.
    CHECK(url_build::with_query("http://h/p", {{"q", "1"}, {"q", "2"}}) == "http://h/p?q=1&q=2");
}
