#include "sandbox/sandbox_world.hpp"

#include "commands/workflow/schedule.hpp"
#include "fakes/shop_world.hpp"

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace deploybot::sandbox {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;
namespace shop = fakes::shop;

namespace {

const std::string production_domain = "example.id";
const std::string staging_domain = "staging.example.id";
constexpr double watch_speed = 60.0;   // the hour-long watch in a minute
constexpr int hotfix_pr = 419;

struct scripted_pr {
    const char* title;
    const char* author;
    const char* reviewer;
    std::vector<const char*> files;
};

// What gets merged when the panel's "Merge a PR" is pressed, in this order (then repeats).
const std::vector<scripted_pr>& scripted_prs() {
    static const std::vector<scripted_pr> prs{
        {"Add dark mode toggle", "dewi", "budi", {"src/theme/toggle.tsx", "src/theme/tokens.ts"}},
        {"Speed up product search", "andi", "dewi", {"src/search/query.ts"}},
        {"Add order notes to checkout", "dewi", "andi",
         {"src/checkout/notes.tsx", "prisma/migrations/20261201_order_notes/migration.sql"}},
        {"Format prices in IDR everywhere", "andi", "budi", {"src/lib/currency.ts"}},
    };
    return prs;
}

std::string iso(system_clock::time_point t) {
    const std::time_t tt = system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Where the clock starts: now when a deploy window is open, else two minutes
// into the next one (Tue/Thu 10:00 WIB by default).
system_clock::time_point start_time(const config::schedule_t& schedule) {
    const auto now = system_clock::now();
    const auto st = evaluate_schedule(schedule, now);
    if (st.is_open || !st.next_open) return now;
    return *st.next_open + 2min;
}

}  // namespace

world::world() {
    fakes::fake_slack::options so;
    so.tls = false;          // DESIGN.md: api_url may be http://, Socket Mode ws://
    so.post_burst = 10;
    slack_ = std::make_unique<fakes::fake_slack>(so);
    gh_ = std::make_unique<fakes::fake_github>(fakes::fake_github::options{});
    vc_ = std::make_unique<fakes::fake_vercel>(fakes::fake_vercel::options{});
    sentry_ = std::make_unique<fakes::fake_sentry>();
    for (fakes::fake_server* f : std::initializer_list<fakes::fake_server*>{slack_.get(), gh_.get(), vc_.get(), sentry_.get()})
        f->set_record_limit(1000);
    gh_->start();
    vc_->start();
    sentry_->start();

    people_ = {{shop::deployer, "Rina", "Deployer"},
               {shop::qa, "Sari", "QA lead"},
               {shop::admin, "Budi", "Admin"},
               {shop::outsider, "Andi", "Developer"}};
    time_ = std::make_shared<fast_time>(start_time(schedule_), 1.0);

    // Production serves #410's release, staging #412 (vercel.md §2 model A).
    shop::seed_history(*gh_);
    gh_->add_review(412, {.user_login = "budi", .state = "APPROVED", .commit_id = shop::sha(3)});
    vc_->setup_model_a();
    vc_->set_staging_follows_builds(true);
    vc_->set_build_gets(2);
    // An open, approved, green PR from a hotfix branch, for `/hotfix 419 <reason>`.
    const auto hotfix_sha = shop::sha(900);
    gh_->add_commit({hotfix_sha, "Fix checkout crash on iOS Safari (#419)", "andi", "Andi", iso(time_->now() - 40min),
                     {{"src/checkout/pay.ts"}}});
    gh_->add_pr({.number = hotfix_pr, .state = "open", .title = "Fix checkout crash on iOS Safari",
                 .user_login = "andi", .head_ref = "hotfix/checkout-crash", .head_sha = hotfix_sha});
    gh_->add_review(hotfix_pr, {.user_login = "budi", .state = "APPROVED", .commit_id = hotfix_sha,
                                .submitted_at = iso(time_->now() - 20min)});
    gh_->set_check_run(hotfix_sha, {.id = 9419, .name = "build", .status = "completed", .conclusion = "success"});
    prs_.push_back({410, "Add wishlist badge", "dewi", shop::sha(50), "passed", ""});
    prs_.push_back({412, "Fix cart total rounding", "andi", shop::sha(3), "passed", "dpl_Stag0003"});
    next_pr_ = 413;
    noise_next_ = time_->now() - 2h;
    add_noise_locked(time_->now());
}

world::~world() {
    // The fakes stop in their destructors (reverse order of declaration).
}

app_options world::bot_options(const std::string& storage_path) const {
    app_options o;
    auto& c = o.cfg;
    c.slack.api_url = slack_->api_url();
    c.slack.channel = shop::channel;
    c.people.deployers = {shop::deployer, shop::admin};
    c.people.qa_leads = {shop::qa};
    c.people.admins = {shop::admin};
    c.schedule = schedule_;
    c.github.api_url = gh_->base_url();
    c.github.repo = gh_->opts().owner + "/" + gh_->opts().repo;
    c.vercel.api_url = vc_->base_url();
    c.vercel.project = vc_->opts().project_id;
    c.vercel.team = vc_->opts().team_id;
    c.vercel.staging_domain = staging_domain;
    c.vercel.production_domain = production_domain;
    c.vercel.poll_interval = 500ms;
    c.vercel.staging_poll = 2s;
    c.vercel.promote_timeout = 120s;
    c.sentry.api_url = sentry_->api_url();
    c.sentry.org = sentry_->opts().org;
    c.sentry.project = sentry_->opts().project;
    c.sentry.environment = sentry_->opts().environment;
    c.storage.path = storage_path;
    c.http.timeout = 5000ms;
    c.http.retry_backoff = 200ms;
    c.checklist_refresh = 3s;
    // The fakes' own made-up tokens: nothing real is needed or read.
    o.tokens.slack_app_token = slack_->opts().app_token;
    o.tokens.slack_bot_token = slack_->opts().bot_token;
    o.tokens.github_token = gh_->opts().token;
    o.tokens.vercel_token = vc_->opts().token;
    o.tokens.sentry_token = sentry_->opts().token;
    o.time = time_;
    return o;
}

std::string world::display_name(const std::string& user_id) const {
    for (const auto& p : people_)
        if (p.id == user_id) return p.name;
    return {};
}

bool world::is_person(const std::string& user_id) const { return !display_name(user_id).empty(); }

std::string world::merge_pr() {
    std::lock_guard lock(mutex_);
    if (next_pr_ == hotfix_pr) ++next_pr_;
    const int number = next_pr_++;
    const int nth = number - 413 - (number > hotfix_pr ? 1 : 0);
    const auto& script = scripted_prs()[static_cast<std::size_t>(nth) % scripted_prs().size()];
    const int round = nth / static_cast<int>(scripted_prs().size());
    std::string title = script.title;
    if (round > 0) title += fmt::format(" (part {})", round + 1);
    const auto sha = shop::sha(100 + number);
    const auto now = time_->now();
    std::vector<fakes::gh_file_change> files;
    for (const auto* f : script.files) files.push_back({f, std::string(f).find("migrations/") != std::string::npos ? "added" : "modified"});
    gh_->add_commit({sha, fmt::format("{} (#{})", title, number), script.author, script.author, iso(now), files});
    gh_->add_pr({.number = number, .title = title, .user_login = script.author, .merged_at = iso(now),
                 .merge_commit_sha = sha, .head_ref = fmt::format("feature-{}", number)});
    gh_->link_commit_to_pr(sha, number);
    gh_->add_review(number, {.user_login = script.reviewer, .state = "APPROVED", .commit_id = sha,
                             .submitted_at = iso(now - 20min)});
    gh_->set_branch("main", sha);
    gh_->set_check_run(sha, {.id = 20000 + number * 2, .name = "build", .status = "in_progress", .conclusion = ""});
    gh_->set_check_run(sha, {.id = 20001 + number * 2, .name = "e2e", .status = "in_progress", .conclusion = ""});
    // Vercel builds every push to main (a staged production build, model A).
    fakes::fv_deployment d;
    d.id = fmt::format("dpl_Stag{:04d}", next_build_++);
    d.target = "production";
    d.ready_state = "QUEUED";
    d.ready_substate = "STAGED";
    d.git_sha = sha;
    d.git_message = fmt::format("{} (#{})", title, number);
    vc_->add_deployment(d);
    gh_->add_status(sha, {"vercel", "success", "Deployment ready", "https://vercel.com/acme/shop-web/" + d.id});
    prs_.push_back({number, title, script.author, sha, "running", d.id});
    return fmt::format("Merged PR #{} \"{}\" into main; CI is running and Vercel is building {}.", number, title, d.id);
}

std::string world::set_ci(bool pass) {
    std::lock_guard lock(mutex_);
    auto& pr = prs_.back();
    const int base = pr.number >= 413 ? 20000 + pr.number * 2 : 9001;
    gh_->set_check_run(pr.sha, {.id = base, .name = "build", .status = "completed", .conclusion = pass ? "success" : "failure"});
    gh_->set_check_run(pr.sha, {.id = base + 1, .name = "e2e", .status = "completed", .conclusion = "success"});
    pr.ci = pass ? "passed" : "failed";
    return fmt::format("CI on {} (PR #{}) {}.", pr.sha.substr(0, 7), pr.number, pass ? "passed" : "failed: build");
}

std::string world::next_window() {
    auto now = time_->now();
    auto st = evaluate_schedule(schedule_, now);
    if (st.is_open && st.closes_at) st = evaluate_schedule(schedule_, *st.closes_at + 1s);
    if (!st.next_open) return "No deploy window in the next two weeks.";
    const auto to = *st.next_open + 1min;
    time_->set(to);
    std::lock_guard lock(mutex_);
    add_noise_locked(to);
    return "The clock moved to " + describe_local(schedule_, to) + ": the deploy window is open.";
}

std::string world::start_spike() {
    const auto now = time_->now();
    sentry_->add_events("SHOP-7", "TypeError: Cannot read properties of undefined (reading 'items')", now, 45);
    std::lock_guard lock(mutex_);
    spike_text_ = "45 TypeErrors at " + local_time(now);
    return "Sentry: 45 new TypeErrors in production at " + local_time(now) + ".";
}

std::string world::fail_next_promote() {
    vc_->fail_next_alias_job(production_domain);
    std::lock_guard lock(mutex_);
    promote_calls_when_armed_ = vc_->promote_calls();
    return "Vercel will fail the next promote (the alias " + production_domain + " will not move).";
}

void world::add_noise_locked(system_clock::time_point now) {
    // One background error every five minutes: the baseline a watch compares with.
    if (now - noise_next_ > 3h) noise_next_ = now - 2h;
    while (noise_next_ <= now) {
        sentry_->add_events("SHOP-1", "TimeoutError: upstream payments API timed out", noise_next_, 1);
        noise_next_ += 5min;
    }
}

void world::tick() {
    const auto now = time_->now();
    std::lock_guard lock(mutex_);
    add_noise_locked(now);
    // A deploy marker in Sentry means a watch began: run the clock fast for its hour.
    const auto markers = sentry_->deploys().size();
    if (markers > markers_seen_) {
        markers_seen_ = markers;
        fast_until_ = now + 62min;
        if (!watch_fast_) time_->set_speed(watch_speed);
        watch_fast_ = true;
    } else if (watch_fast_ && now >= fast_until_) {
        time_->set_speed(1.0);
        watch_fast_ = false;
    }
    if (promote_calls_when_armed_ >= 0 && vc_->promote_calls() > promote_calls_when_armed_) promote_calls_when_armed_ = -1;
}

std::string world::local_time(system_clock::time_point t) const {
    // describe_local: "Thu 3 Dec 10:00 WIB" → "10:00".
    const auto s = describe_local(schedule_, t);
    const auto colon = s.find(':');
    if (colon == std::string::npos || colon < 2) return s;
    return s.substr(colon - 2, 5);
}

json::object world::panel_state() const {
    const auto now = time_->now();
    const auto st = evaluate_schedule(schedule_, now);
    json::object o;
    o["clock"] = describe_local(schedule_, now);
    o["speed"] = time_->speed();
    o["window_open"] = st.is_open;
    o["window_text"] = st.is_open ? "open until " + st.closes_at_text : "closed; next " + st.next_open_text;
    auto describe = [&](const std::string& domain) {
        json::object d;
        const auto id = vc_->alias_target(domain);
        d["domain"] = domain;
        d["id"] = id;
        if (auto dep = vc_->deployment(id)) {
            d["sha"] = dep->git_sha.substr(0, 7);
            d["message"] = dep->git_message;
        }
        return d;
    };
    o["production"] = describe(production_domain);
    o["staging"] = describe(staging_domain);
    json::array builds;
    for (const auto& d : vc_->deployments())
        if (d.id.starts_with("dpl_Stag") && d.ready_state != "READY")
            builds.push_back(json::object{{"id", d.id}, {"state", d.ready_state}});
    o["building"] = std::move(builds);
    std::lock_guard lock(mutex_);
    json::array prs;
    for (auto it = prs_.rbegin(); it != prs_.rend() && prs.size() < 5; ++it)
        prs.push_back(json::object{{"number", it->number}, {"title", it->title}, {"author", it->author},
                                   {"sha", it->sha.substr(0, 7)}, {"ci", it->ci}});
    o["prs"] = std::move(prs);
    o["watch_fast"] = watch_fast_;
    o["promote_fail_armed"] = promote_calls_when_armed_ >= 0;
    o["spike"] = spike_text_;
    return o;
}

}  // namespace deploybot::sandbox
