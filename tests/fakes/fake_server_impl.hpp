#pragma once
// Private to fake_server*.cpp: the server's state and its connection
// coroutines as templates over the stream type. fake_server_plain.cpp and
// fake_server_tls.cpp each instantiate them for one stream type, so the two
// heavy Beast instantiations compile in parallel.
#include "fakes/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

namespace deploybot::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace detail {


inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
inline constexpr std::size_t header_limit = 16 * 1024;
inline constexpr std::size_t body_limit = 8 * 1024 * 1024;
inline constexpr std::size_t ws_message_limit = 8 * 1024 * 1024;
inline constexpr auto http_idle_timeout = std::chrono::seconds(60);
inline constexpr auto tls_handshake_timeout = std::chrono::seconds(10);

inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Query/form decoding: '+' is a space there, unlike in paths.
inline std::string percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

inline void log_exception(std::string_view where, std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::cerr << "fake_server: " << where << ": " << ex.what() << "\n";
    }
}


}  // namespace detail

// Type-erased WebSocket session, owned by impl::sessions_ and by its coroutine.
struct ws_session_base {
    virtual ~ws_session_base() = default;
    virtual void send(std::string data, bool binary) = 0;
    virtual void close(int code) = 0;
    virtual void drop() = 0;
    virtual void go_silent() = 0;
    virtual void ping(std::string payload) = 0;
};

struct fake_server::impl {
    fake_server* owner;
    bool tls;
    std::string name;
    // ssl_ctx outlives the io_context (declared first, destroyed last).
    std::optional<ssl::context> ssl_ctx;
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
    std::uint16_t port = 0;
    std::atomic<bool> stopped{false};
    bool started = false;
    std::uint64_t next_connection_id = 0;   // server thread
    std::atomic<std::uint64_t> next_ws_id{0};
    std::map<ws_session_id, std::shared_ptr<ws_session_base>> sessions;   // server thread
    std::atomic<std::int64_t> latency_ms{0};
    std::vector<recorded_request> requests;   // guarded by owner->mutex_
    std::size_t record_limit = static_cast<std::size_t>(-1);   // guarded by owner->mutex_

    // impl is a member of fake_server and may call its protected hooks; the
    // free coroutines below go through these.
    fake_response call_handle(const recorded_request& r) { return owner->handle(r); }
    int call_accept_websocket(const recorded_request& r) { return owner->accept_websocket(r); }
    void call_on_ws_open(ws_session_id id, const recorded_request& r) { owner->on_ws_open(id, r); }
    void call_on_ws_message(ws_session_id id, const std::string& t) { owner->on_ws_message(id, t); }
    void call_on_ws_pong(ws_session_id id, const std::string& p) { owner->on_ws_pong(id, p); }
    void call_on_ws_closed(ws_session_id id, int code) { owner->on_ws_closed(id, code); }

    void record(const recorded_request& r) {
        {
            std::lock_guard lock(owner->mutex_);
            requests.push_back(r);
            if (requests.size() > record_limit)
                requests.erase(requests.begin(),
                               requests.begin() + static_cast<std::ptrdiff_t>(requests.size() - record_limit / 2));
        }
        owner->changed_.notify_all();
    }

    // Runs fn on the server thread with the session, if it still exists.
    void with_session(ws_session_id id, std::function<void(ws_session_base&)> fn) {
        if (stopped) return;
        asio::post(*ioc, [this, id, fn = std::move(fn)] {
            auto it = sessions.find(id);
            if (it == sessions.end()) return;
            auto session = it->second;   // fn may end the session and unregister it
            fn(*session);
        });
    }
};

namespace detail {


template <class Body>
recorded_request make_record(const http::request<Body>& req, std::uint64_t connection_id) {
    recorded_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    auto q = r.target.find('?');
    std::string raw_path = r.target.substr(0, q);
    r.query = q == std::string::npos ? std::string{} : r.target.substr(q + 1);
    r.path = percent_decode(raw_path, false);
    for (const auto& field : req)
        r.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    r.body = req.body();
    r.at = std::chrono::steady_clock::now();
    r.connection_id = connection_id;
    return r;
}

template <class Stream>
beast::tcp_stream& lowest(Stream& s) {
    return beast::get_lowest_layer(s);
}

template <class WsStream>
class ws_session final : public ws_session_base,
                         public std::enable_shared_from_this<ws_session<WsStream>> {
public:
    template <class Stream>
    ws_session(fake_server::impl* server, ws_session_id id, Stream&& stream)
        : server_(server), id_(id), ws_(std::forward<Stream>(stream)) {}

    asio::awaitable<error_code> async_accept(const http::request<http::string_body>& req) {
        lowest(ws_).expires_never();
        websocket::stream_base::timeout t;
        t.handshake_timeout = std::chrono::seconds(10);
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws_.set_option(t);
        ws_.read_message_max(ws_message_limit);
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            if (kind == websocket::frame_type::pong)
                server_->call_on_ws_pong(id_, std::string(payload));
        });
        auto [ec] = co_await ws_.async_accept(req, tuple_awaitable);
        co_return ec;
    }

    asio::awaitable<void> run_reader() {
        auto self = this->shared_from_this();
        for (;;) {
            beast::flat_buffer buffer;
            auto [ec, n] = co_await ws_.async_read(buffer, tuple_awaitable);
            if (ec) {
                if (silent_) co_return;   // socket stays open, session stays registered
                // reason() is the peer's close frame, also when we started the
                // close (then the read ends with operation_aborted, not closed).
                int code = static_cast<int>(ws_.reason().code);
                finish(code);
                co_return;
            }
            server_->call_on_ws_message(id_, beast::buffers_to_string(buffer.data()));
        }
    }

    void send(std::string data, bool binary) override {
        enqueue({binary ? op_kind::binary : op_kind::text, std::move(data), 0});
    }
    void close(int code) override { enqueue({op_kind::close, {}, code}); }
    void ping(std::string payload) override { enqueue({op_kind::ping, std::move(payload), 0}); }

    void drop() override {
        bool was_silent = silent_;
        dropped_ = true;
        error_code ec;
        lowest(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest(ws_).socket().close(ec);
        if (was_silent) finish(0);   // no reader left to notice
    }

    void go_silent() override {
        if (silent_ || finished_) return;
        silent_ = true;
        queue_.clear();
        // Cancel the pending read: Beast answers pings only inside a read.
        error_code ec;
        lowest(ws_).socket().cancel(ec);
    }

private:
    enum class op_kind { text, binary, ping, close };
    struct op {
        op_kind kind;
        std::string data;
        int code;
    };

    void finish(int code) {
        if (finished_) return;
        finished_ = true;
        queue_.clear();
        auto keep = this->shared_from_this();
        server_->sessions.erase(id_);
        server_->call_on_ws_closed(id_, code);
    }

    void enqueue(op o) {
        if (finished_ || silent_ || dropped_) return;
        queue_.push_back(std::move(o));
        if (!writing_) write_next();
    }

    void write_next() {
        if (queue_.empty() || finished_ || silent_ || dropped_) {
            writing_ = false;
            return;
        }
        writing_ = true;
        auto self = this->shared_from_this();
        auto done = [self](error_code ec, auto...) {
            if (!self->queue_.empty()) self->queue_.pop_front();
            if (ec) {
                self->queue_.clear();
                self->writing_ = false;
                return;
            }
            self->write_next();
        };
        op& o = queue_.front();
        switch (o.kind) {
        case op_kind::text:
        case op_kind::binary:
            ws_.text(o.kind == op_kind::text);
            ws_.async_write(asio::buffer(o.data), std::move(done));
            break;
        case op_kind::ping: {
            websocket::ping_data payload(o.data.substr(0, std::min<std::size_t>(o.data.size(), 125)));
            ws_.async_ping(payload, std::move(done));
            break;
        }
        case op_kind::close:
            ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(o.code)), std::move(done));
            break;
        }
    }

    fake_server::impl* server_;
    ws_session_id id_;
    WsStream ws_;
    std::deque<op> queue_;
    bool writing_ = false;
    bool silent_ = false;
    bool dropped_ = false;
    bool finished_ = false;
};

template <class Stream>
asio::awaitable<void> write_status_and_close(Stream& stream, int status) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::server, "deploybot-fake");
    res.set(http::field::content_type, "text/plain");
    res.body() = "handshake refused\n";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, tuple_awaitable);
}

template <class Stream>
asio::awaitable<void> run_websocket(fake_server::impl* server, Stream stream,
                                    http::request<http::string_body> req, recorded_request record) {
    using ws_type = websocket::stream<Stream>;
    ws_session_id id = ++server->next_ws_id;
    auto session = std::make_shared<ws_session<ws_type>>(server, id, std::move(stream));
    error_code ec = co_await session->async_accept(req);
    if (ec) co_return;
    server->sessions[id] = session;
    server->call_on_ws_open(id, record);
    co_await session->run_reader();
}

template <class Stream>
asio::awaitable<void> run_http(fake_server::impl* server, Stream stream, std::uint64_t connection_id) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(body_limit);
        lowest(stream).expires_after(http_idle_timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
        if (ec) break;
        http::request<http::string_body> req = parser.release();
        recorded_request record = make_record(req, connection_id);
        server->record(record);

        if (websocket::is_upgrade(req)) {
            int status = server->call_accept_websocket(record);
            if (status == 101) {
                co_await run_websocket(server, std::move(stream), std::move(req), std::move(record));
                co_return;
            }
            lowest(stream).expires_after(http_idle_timeout);
            co_await write_status_and_close(stream, status);
            break;
        }

        fake_response resp;
        try {
            resp = server->call_handle(record);
        } catch (const std::exception& e) {
            std::cerr << "fake_server " << server->name << ": handler threw: " << e.what() << "\n";
            resp = fake_response{500, {{"Content-Type", "text/plain"}}, "handler threw\n"};
        }
        auto delay = resp.delay + std::chrono::milliseconds(server->latency_ms.load());
        if (delay.count() > 0) {
            asio::steady_timer timer(stream.get_executor(), delay);
            co_await timer.async_wait(tuple_awaitable);
        }
        if (resp.drop_connection) break;

        http::response<http::string_body> res{static_cast<http::status>(resp.status), req.version()};
        bool has_content_type = false;
        for (const auto& h : resp.headers) {
            if (iequals(h.name, "content-type")) has_content_type = true;
            res.insert(h.name, h.value);
        }
        if (!has_content_type) res.set(http::field::content_type, "application/json");
        res.body() = std::move(resp.body);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        lowest(stream).expires_after(http_idle_timeout);
        auto [wec, wn] = co_await http::async_write(stream, res, tuple_awaitable);
        if (wec || !res.keep_alive()) break;
    }
    error_code ignored;
    lowest(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest(stream).close();
}

// One accepted connection (defined in fake_server_plain.cpp / fake_server_tls.cpp).
asio::awaitable<void> run_plain_connection(fake_server::impl* server, tcp::socket socket, std::uint64_t connection_id);
asio::awaitable<void> run_tls_connection(fake_server::impl* server, tcp::socket socket, std::uint64_t connection_id);

}  // namespace detail
}  // namespace deploybot::fakes
