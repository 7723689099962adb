// The lifecycle state machine: every (state, event) pair, the words `list` prints and the keys
// the database stores.

#include <gtest/gtest.h>

#include "state.h"

using namespace netdext::extensions;

TEST(State, DeveloperModeSkipsApproval) {
    EXPECT_EQ(initial_state(false), State::waiting_for_user);
    EXPECT_EQ(initial_state(true), State::enabled);
}

TEST(State, EveryTransition) {
    struct Row {
        State from;
        Event event;
        std::optional<State> to;
    };
    const Row table[] = {
        {State::waiting_for_user, Event::approve, State::enabled},
        {State::waiting_for_user, Event::replace, State::removed},
        {State::waiting_for_user, Event::uninstall, State::removed},
        {State::waiting_for_user, Event::stopped, std::nullopt},
        {State::enabled, Event::approve, std::nullopt},
        {State::enabled, Event::replace, State::terminating_for_upgrade},
        {State::enabled, Event::uninstall, State::terminating_for_uninstall},
        {State::enabled, Event::stopped, std::nullopt},
        {State::terminating_for_upgrade, Event::approve, std::nullopt},
        {State::terminating_for_upgrade, Event::replace, std::nullopt},
        {State::terminating_for_upgrade, Event::uninstall, State::terminating_for_uninstall},
        {State::terminating_for_upgrade, Event::stopped, State::removed},
        {State::terminating_for_uninstall, Event::approve, std::nullopt},
        {State::terminating_for_uninstall, Event::replace, std::nullopt},
        {State::terminating_for_uninstall, Event::uninstall, std::nullopt},
        {State::terminating_for_uninstall, Event::stopped, State::removed},
        {State::removed, Event::approve, std::nullopt},
        {State::removed, Event::replace, std::nullopt},
        {State::removed, Event::uninstall, std::nullopt},
        {State::removed, Event::stopped, std::nullopt},
    };
    for (const Row &row : table)
        EXPECT_EQ(next_state(row.from, row.event), row.to)
            << state_key(row.from) << " + event " << int(row.event);
}

TEST(State, WordsAndKeysAsSysextdSpellsThem) {
    EXPECT_EQ(state_text(State::waiting_for_user), "activated waiting for user");
    EXPECT_EQ(state_text(State::enabled), "activated enabled");
    EXPECT_EQ(state_text(State::terminating_for_uninstall),
              "terminating for uninstall but still running");
    EXPECT_EQ(state_text(State::terminating_for_upgrade), "terminating for upgrade via delegate");
    EXPECT_EQ(state_key(State::waiting_for_user), "activated_waiting_for_user");
    EXPECT_EQ(state_key(State::enabled), "activated_enabled");
    EXPECT_EQ(state_key(State::terminating_for_uninstall), "terminating_for_uninstall");
    EXPECT_EQ(state_key(State::terminating_for_upgrade), "terminating_for_upgrade_via_delegate");
    for (State s : {State::waiting_for_user, State::enabled, State::terminating_for_uninstall,
                    State::terminating_for_upgrade})
        EXPECT_EQ(parse_state_key(state_key(s)), s);
    EXPECT_FALSE(parse_state_key("removed"));
    EXPECT_FALSE(parse_state_key("activated enabled"));
}

TEST(State, ListMarks) {
    EXPECT_TRUE(enabled_mark(State::enabled) && active_mark(State::enabled));
    EXPECT_TRUE(!enabled_mark(State::waiting_for_user) && active_mark(State::waiting_for_user));
    for (State s : {State::terminating_for_uninstall, State::terminating_for_upgrade})
        EXPECT_FALSE(enabled_mark(s) || active_mark(s));
    EXPECT_TRUE(runs_driver(State::enabled));
    EXPECT_FALSE(runs_driver(State::waiting_for_user));
    EXPECT_TRUE(runs_driver(State::terminating_for_upgrade));
}
