#pragma once
// Private to ws_stream_plain.cpp and ws_stream_tls.cpp: the Beast WebSocket
// stream of one type behind detail::ws_stream.
#include "bot/net/tls.hpp"
#include "bot/net/ws_stream.hpp"
#include "bot/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <type_traits>

namespace deploybot::detail {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

template <class Ws>
class ws_stream_impl final : public ws_stream {
public:
    static constexpr bool is_tls = !std::is_same_v<typename Ws::next_layer_type, beast::tcp_stream>;

    ws_stream_impl(asio::any_io_executor ex, ws_options options) : options_(std::move(options)) {
        if constexpr (is_tls) {
            tls_context_ = make_client_tls_context(options_.tls);
            ws_ = std::make_unique<Ws>(ex, *tls_context_);
        } else {
            ws_ = std::make_unique<Ws>(ex);
        }
    }

    asio::awaitable<system::error_code> connect(asio::ip::tcp::resolver::results_type results, endpoint ep,
                                                std::chrono::steady_clock::time_point deadline) override {
        constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
        auto& tcp_layer = beast::get_lowest_layer(*ws_);
        if constexpr (is_tls) {
            if (auto pec = prepare_tls_stream(ws_->next_layer(), ep.host)) co_return pec;
        }
        tcp_layer.expires_at(deadline);
        auto [cec, _] = co_await tcp_layer.async_connect(results, use_tuple);
        if (cec) co_return cec;
        if constexpr (is_tls) {
            auto [hec] = co_await ws_->next_layer().async_handshake(asio::ssl::stream_base::client, use_tuple);
            if (hec) {
                log::warn("socket", "TLS handshake with {}:{} failed: {}", ep.host, ep.port, hec.message());
                co_return hec;
            }
        }
        tcp_layer.expires_never();   // the websocket timeouts take over
        configure();
        websocket::response_type response;
        auto [ec] = co_await ws_->async_handshake(response, ep.host_header(), ep.target, use_tuple);
        if (ec) {
            if (response.result_int() != 0 && response.result_int() != 101)
                log::warn("socket", "WebSocket handshake refused with HTTP {}", response.result_int());
            abort();
            co_return ec == websocket::error::upgrade_declined ? make_error_code(errc::handshake_failed) : ec;
        }
        co_return system::error_code{};
    }

    asio::awaitable<result<ws_connection::message>> read() override {
        buffer_.clear();
        auto [ec, n] = co_await ws_->async_read(buffer_, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == beast::error::timeout) co_return make_error_code(errc::timeout);
            co_return ec;
        }
        ws_connection::message m;
        m.is_binary = !ws_->got_text();
        m.text = beast::buffers_to_string(buffer_.data());
        co_return m;
    }

    void write(std::string_view text, std::function<void(system::error_code)> done) override {
        ws_->text(true);
        ws_->async_write(asio::buffer(text.data(), text.size()),
                         [done = std::move(done)](system::error_code ec, std::size_t) { done(ec); });
    }

    asio::awaitable<void> close(int code, std::chrono::steady_clock::duration timeout) override {
        auto t = websocket::stream_base::timeout{};
        t.handshake_timeout = std::max(timeout, std::chrono::steady_clock::duration(1));
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws_->set_option(t);
        auto [e] = co_await ws_->async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                                             asio::as_tuple(asio::use_awaitable));
        if (e && e != asio::error::operation_aborted)
            log::debug("socket", "close handshake ended with {}", e.message());
    }

    void abort() override {
        system::error_code ec;
        auto& s = beast::get_lowest_layer(*ws_).socket();
        s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        s.close(ec);
    }

private:
    void configure() {
        websocket::stream_base::timeout t{};
        t.handshake_timeout = options_.handshake_timeout;
        t.idle_timeout = options_.idle_timeout;
        t.keep_alive_pings = true;   // ping at idle/2; no inbound frame by idle → closed
        ws_->set_option(t);
        ws_->read_message_max(options_.max_message_bytes);
        ws_->auto_fragment(false);
        ws_->set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "deploybot/" DEPLOYBOT_VERSION);
        }));
    }

    ws_options options_;
    std::shared_ptr<asio::ssl::context> tls_context_;   // outlives the stream (declared first)
    std::unique_ptr<Ws> ws_;
    beast::flat_buffer buffer_;
};

}  // namespace deploybot::detail
