#include "bot/net/http_server.hpp"

#include "bot/log.hpp"
#include "bot/spawn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <list>

namespace deploybot {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string_view path_of(std::string_view target) {
    const auto q = target.find_first_of("?#");
    return q == std::string_view::npos ? target : target.substr(0, q);
}
}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    http_server_options options_;
    http_server_handler handler_;
    tcp::acceptor acceptor_;
    // Open connections, so stop() can close them; a session removes its own entry.
    std::list<std::shared_ptr<beast::tcp_stream>> sessions_;
    bool stopped_ = false;

    impl(asio::any_io_executor ex, http_server_options options, http_server_handler handler)
        : executor_(ex), options_(std::move(options)), handler_(std::move(handler)), acceptor_(ex) {}

    system::error_code bind() {
        system::error_code ec;
        tcp::resolver resolver(executor_);
        // Only IP literals and "localhost" pass config validation: no DNS query.
        auto results = resolver.resolve(options_.address.host, std::to_string(options_.address.port),
                                        tcp::resolver::numeric_service, ec);
        if (ec) return ec;
        for (const auto& entry : results) {
            ec = {};
            acceptor_.open(entry.endpoint().protocol(), ec);
            if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec) acceptor_.bind(entry.endpoint(), ec);
            if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
            if (!ec) return ec;
            system::error_code ignored;
            acceptor_.close(ignored);
        }
        return ec ? ec : make_error_code(asio::error::host_not_found);
    }

    void stop() {
        if (stopped_) return;
        stopped_ = true;
        handler_ = nullptr;
        system::error_code ec;
        acceptor_.close(ec);
        for (auto& s : sessions_) s->socket().close(ec);
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
        asio::steady_timer pause(self->executor_);
        while (!self->stopped_) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(use_tuple);
            if (self->stopped_) break;
            if (ec) {
                // Out of descriptors and the like: wait a little rather than spin.
                log::warn("http", "accept failed: {}", ec.message());
                pause.expires_after(std::chrono::milliseconds(200));
                co_await pause.async_wait(use_tuple);
                continue;
            }
            if (self->sessions_.size() >= self->options_.max_connections) {
                system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
            self->sessions_.push_back(stream);
            spawn_logged(self->executor_, session(self, std::prev(self->sessions_.end())), "http", "http session");
        }
    }

    http::response<http::string_body> respond(const http::request<http::string_body>& req) {
        http_server_response r;
        const bool head = req.method() == http::verb::head;
        if (req.method() != http::verb::get && !head) {
            r.status = 405;
            r.body = "method not allowed\n";
        } else if (handler_) {
            r = handler_(http_server_request{std::string(req.method_string()), std::string(path_of(req.target()))});
        } else {
            r.status = 503;
            r.body = "stopping\n";
        }
        http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
        res.set(http::field::server, "deploybot/" DEPLOYBOT_VERSION);
        res.set(http::field::content_type, r.content_type);
        res.set(http::field::cache_control, "no-store");
        if (r.status == 405) res.set(http::field::allow, "GET, HEAD");
        res.keep_alive(req.keep_alive());
        res.content_length(r.body.size());
        if (!head) res.body() = std::move(r.body);
        return res;
    }

    // A bounded request that broke a limit gets its status and the connection closes.
    static http::response<http::string_body> refusal(http::status status, std::string_view body) {
        http::response<http::string_body> res{status, 11};
        res.set(http::field::server, "deploybot/" DEPLOYBOT_VERSION);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.keep_alive(false);
        res.body() = std::string(body);
        res.prepare_payload();
        return res;
    }

    using session_handle = std::list<std::shared_ptr<beast::tcp_stream>>::iterator;

    static asio::awaitable<void> session(std::shared_ptr<impl> self, session_handle handle) {
        auto stream = *handle;
        beast::flat_buffer buffer;
        bool first = true;
        while (!self->stopped_) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(self->options_.max_header_bytes));
            parser.body_limit(self->options_.max_body_bytes);
            // The first request must come soon; later ones may wait the keep-alive time.
            stream->expires_after(first ? self->options_.request_timeout : self->options_.idle_timeout);
            auto [rec, n] = co_await http::async_read(*stream, buffer, parser, use_tuple);
            if (self->stopped_) break;
            if (rec) {
                std::optional<http::response<http::string_body>> refuse;
                if (rec == http::error::header_limit) refuse = refusal(http::status::request_header_fields_too_large,
                                                                       "request headers too large\n");
                else if (rec == http::error::body_limit) refuse = refusal(http::status::payload_too_large,
                                                                          "request body too large\n");
                else if (rec != http::error::end_of_stream && rec != beast::error::timeout &&
                         rec != asio::error::eof && rec != asio::error::connection_reset && rec != asio::error::operation_aborted)
                    refuse = refusal(http::status::bad_request, "bad request\n");
                if (refuse) {
                    stream->expires_after(self->options_.request_timeout);
                    co_await http::async_write(*stream, *refuse, use_tuple);
                }
                break;
            }
            first = false;
            auto res = self->respond(parser.get());
            const bool keep = res.keep_alive();
            stream->expires_after(self->options_.request_timeout);
            auto [wec, w] = co_await http::async_write(*stream, res, use_tuple);
            if (wec || !keep) break;
        }
        system::error_code ec;
        stream->socket().shutdown(tcp::socket::shutdown_send, ec);
        stream->socket().close(ec);
        self->sessions_.erase(handle);
    }
};

http_server::http_server(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() { impl_->stop(); }

result<std::unique_ptr<http_server>> http_server::listen(asio::any_io_executor ex, http_server_options options,
                                                         http_server_handler handler) {
    auto p = std::make_shared<impl>(ex, std::move(options), std::move(handler));
    if (auto ec = p->bind()) return ec;
    spawn_logged(ex, impl::accept_loop(p), "http", "http accept loop");
    return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

std::uint16_t http_server::port() const {
    system::error_code ec;
    const auto ep = impl_->acceptor_.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void http_server::stop() { impl_->stop(); }

}  // namespace deploybot
