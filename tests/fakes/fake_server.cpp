// fake_server: HTTP/1.1 (keep-alive) + WebSocket on one ephemeral 127.0.0.1
// port, plain or TLS, on its own io_context thread. Every connection is one
// coroutine; WebSocket sessions keep a write queue because Beast allows one
// outstanding write (pings and closes go through the same queue).
//
// Shutdown: stop() stops the io_context, joins the thread, then destroys the
// io_context, which destroys every suspended coroutine frame and with it the
// sockets. Derived classes must call stop() in their own destructor, because
// the server thread calls their virtual handlers until then.
#include "fakes/fake_server_impl.hpp"

namespace deploybot::fakes {

using namespace detail;


std::string recorded_request::header(std::string_view name) const {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

namespace {
template <class Fn>
void for_each_query_param(std::string_view query, Fn&& fn) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        std::string key = percent_decode(part.substr(0, eq), true);
        std::string value =
            eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1), true);
        if (fn(key, value)) return;
    }
}
}  // namespace

std::string recorded_request::query_param(std::string_view name) const {
    std::string found;
    for_each_query_param(query, [&](const std::string& k, const std::string& v) {
        if (k != name) return false;
        found = v;
        return true;
    });
    return found;
}

bool recorded_request::has_query_param(std::string_view name) const {
    bool found = false;
    for_each_query_param(query, [&](const std::string& k, const std::string&) {
        found = k == name;
        return found;
    });
    return found;
}

namespace {

asio::awaitable<void> run_accept(fake_server::impl* server) {
    for (;;) {
        auto [ec, socket] = co_await server->acceptor->async_accept(tuple_awaitable);
        if (ec) {
            if (!server->acceptor->is_open()) co_return;
            continue;
        }
        std::uint64_t id = ++server->next_connection_id;
        auto ex = server->ioc->get_executor();
        auto name = server->name;
        auto on_done = [name](std::exception_ptr e) { log_exception(name, e); };
        if (server->tls)
            asio::co_spawn(ex, run_tls_connection(server, std::move(socket), id), on_done);
        else
            asio::co_spawn(ex, run_plain_connection(server, std::move(socket), id), on_done);
    }
}

}  // namespace

fake_server::fake_server(options opts) : impl_(std::make_unique<impl>()), options_(std::move(opts)) {
    impl_->owner = this;
    impl_->tls = options_.tls;
    impl_->name = options_.name;
    if (options_.tls) {
        const auto& p = pki();
        impl_->ssl_ctx.emplace(ssl::context::tls_server);
        impl_->ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                    ssl::context::no_tlsv1_1);
        impl_->ssl_ctx->use_certificate_chain(asio::buffer(p.server_cert_pem));
        impl_->ssl_ctx->use_private_key(asio::buffer(p.server_key_pem), ssl::context::pem);
    }
    // Bind now so port()/base_url() work before start().
    impl_->acceptor.emplace(*impl_->ioc);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), options_.port);
    impl_->acceptor->open(ep.protocol());
    impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor->bind(ep);
    impl_->acceptor->listen();
    impl_->port = impl_->acceptor->local_endpoint().port();
}

fake_server::~fake_server() { stop(); }

void fake_server::start() {
    if (impl_->started || impl_->stopped) return;
    impl_->started = true;
    impl_->work.emplace(impl_->ioc->get_executor());
    auto name = impl_->name;
    asio::co_spawn(*impl_->ioc, run_accept(impl_.get()),
                   [name](std::exception_ptr e) { log_exception(name, e); });
    impl_->thread = std::thread([io = impl_->ioc.get()] { io->run(); });
}

void fake_server::stop() {
    if (impl_->stopped.exchange(true)) return;
    impl_->work.reset();
    impl_->ioc->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    // Sockets and frames die here, on the calling thread, while the derived
    // object (whose destructor called us) is still alive.
    impl_->sessions.clear();
    impl_->acceptor.reset();
    impl_->ioc.reset();
    changed_.notify_all();
}

std::string fake_server::base_url() const {
    return (options_.tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(impl_->port);
}

std::string fake_server::ws_base_url() const {
    return (options_.tls ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(impl_->port);
}

std::uint16_t fake_server::port() const { return impl_->port; }

std::vector<recorded_request> fake_server::requests() const {
    std::lock_guard lock(mutex_);
    return impl_->requests;
}

std::vector<recorded_request> fake_server::requests_to(std::string_view path) const {
    std::lock_guard lock(mutex_);
    std::vector<recorded_request> out;
    for (const auto& r : impl_->requests)
        if (r.path == path) out.push_back(r);
    return out;
}

void fake_server::set_record_limit(std::size_t n) {
    std::lock_guard lock(mutex_);
    impl_->record_limit = std::max<std::size_t>(n, 2);
}

void fake_server::clear_requests() {
    std::lock_guard lock(mutex_);
    impl_->requests.clear();
}

bool fake_server::wait_for_requests(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(impl_->requests); });
}

bool fake_server::wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, pred);
}

void fake_server::notify_changed() { changed_.notify_all(); }

void fake_server::set_latency(std::chrono::milliseconds latency) { impl_->latency_ms = latency.count(); }

void fake_server::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
    if (impl_->stopped) return;
    asio::post(*impl_->ioc, [io = impl_->ioc.get(), delay, fn = std::move(fn)]() mutable {
        auto timer = std::make_shared<asio::steady_timer>(*io, delay);
        timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
            if (!ec) fn();
        });
    });
}

void fake_server::ws_send(ws_session_id id, std::string text) {
    impl_->with_session(id, [text = std::move(text)](ws_session_base& s) mutable { s.send(std::move(text), false); });
}

void fake_server::ws_send_binary(ws_session_id id, std::string data) {
    impl_->with_session(id, [data = std::move(data)](ws_session_base& s) mutable { s.send(std::move(data), true); });
}

void fake_server::ws_close(ws_session_id id, int code) {
    impl_->with_session(id, [code](ws_session_base& s) { s.close(code); });
}

void fake_server::ws_drop(ws_session_id id) {
    impl_->with_session(id, [](ws_session_base& s) { s.drop(); });
}

void fake_server::ws_go_silent(ws_session_id id) {
    impl_->with_session(id, [](ws_session_base& s) { s.go_silent(); });
}

void fake_server::ws_send_ping(ws_session_id id, std::string payload) {
    impl_->with_session(id, [payload = std::move(payload)](ws_session_base& s) mutable { s.ping(std::move(payload)); });
}

}  // namespace deploybot::fakes
