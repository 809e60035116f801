#pragma once
#include "bot/log.hpp"

#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <string>

namespace deploybot {

// co_spawn whose completion logs an escaped exception (a bug) instead of
// losing it; never `detached` for code that can throw.
template <class Executor, class Awaitable>
void spawn_logged(const Executor& ex, Awaitable&& coro, std::string component, std::string what) {
    boost::asio::co_spawn(ex, std::forward<Awaitable>(coro),
                          [component = std::move(component), what = std::move(what)](std::exception_ptr e) {
                              if (!e) return;
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& ex) {
                                  log::error(component, "{} failed: {}", what, ex.what());
                              }
                          });
}

}  // namespace deploybot
