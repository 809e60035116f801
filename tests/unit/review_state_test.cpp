#include "commands/workflow/review_state.hpp"

#include <doctest/doctest.h>

using namespace deploybot;

TEST_CASE("reviews: a later approval replaces changes requested") {
    std::vector<pr_review> r{{"sari-dev", "CHANGES_REQUESTED", "aa11"}, {"sari-dev", "APPROVED", "e4d3"}};
    const auto s = evaluate_reviews("budi-dev", r);
    CHECK(s.approved);
    CHECK(s.approvers == std::vector<std::string>{"sari-dev"});
    CHECK(s.changes_requested_by.empty());
}

TEST_CASE("reviews: outstanding changes requested blocks approval") {
    std::vector<pr_review> r{{"sari-dev", "APPROVED", "x"}, {"andi", "CHANGES_REQUESTED", "x"}};
    const auto s = evaluate_reviews("budi-dev", r);
    CHECK_FALSE(s.approved);
    CHECK(s.approvers == std::vector<std::string>{"sari-dev"});
    CHECK(s.changes_requested_by == std::vector<std::string>{"andi"});
}

TEST_CASE("reviews: comments and pending reviews never change the decision") {
    std::vector<pr_review> r{{"sari-dev", "APPROVED", "x"}, {"sari-dev", "COMMENTED", "x"}, {"sari-dev", "PENDING", "x"}};
    CHECK(evaluate_reviews("budi-dev", r).approved);
    std::vector<pr_review> only_comments{{"sari-dev", "COMMENTED", "x"}};
    const auto s = evaluate_reviews("budi-dev", only_comments);
    CHECK_FALSE(s.approved);
    CHECK(s.approvers.empty());
}

TEST_CASE("reviews: self reviews and null users are ignored, dismissal clears") {
    std::vector<pr_review> r{{"budi-dev", "APPROVED", "x"}, {"", "APPROVED", "x"}};
    CHECK_FALSE(evaluate_reviews("budi-dev", r).approved);
    std::vector<pr_review> dismissed{{"sari-dev", "APPROVED", "x"}, {"sari-dev", "DISMISSED", "x"}};
    CHECK_FALSE(evaluate_reviews("budi-dev", dismissed).approved);
}

TEST_CASE("reviews: require_fresh only counts approvals of the head commit") {
    std::vector<pr_review> r{{"sari-dev", "APPROVED", "old"}, {"andi", "APPROVED", "head"}};
    const auto s = evaluate_reviews("budi-dev", r, std::string_view("head"));
    CHECK(s.approvers == std::vector<std::string>{"andi"});
    CHECK(s.approved);
    CHECK_FALSE(evaluate_reviews("budi-dev", {{"sari-dev", "APPROVED", "old"}}, std::string_view("head")).approved);
}
