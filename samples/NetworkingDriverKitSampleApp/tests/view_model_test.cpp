// The Driver Manager's state machine: every state × every event, then the flows the window
// goes through (approval, replacement, deactivation, changes made elsewhere).

#include <gtest/gtest.h>

#include "DriverLoadingViewModel.h"

#include <map>

namespace {

using S = DriverState;
using K = ViewEvent::Kind;
const std::string kId = "com.example.netdext.NetworkingDriverKitSample";

ViewEvent event(K kind, Installed installed = Installed::none) {
    ViewEvent e{kind};
    e.installed = installed;
    e.reason = "ValidationFailed (9): the reason";
    e.question = {"1.0 (1)", "1.0 (2)"};
    return e;
}

// A model brought into `state` the way the window gets there.
DriverLoadingViewModel in(S state) {
    DriverLoadingViewModel m(kId);
    if (state != S::notLoaded) {
        EXPECT_TRUE(m.apply(event(K::installPressed)));
    }
    if (state == S::needsApproval) {
        EXPECT_TRUE(m.apply(event(K::needsUserApproval)));
    } else if (state == S::activated) {
        EXPECT_TRUE(m.apply(event(K::finished)));
    } else if (state == S::activationError) {
        EXPECT_TRUE(m.apply(event(K::failed)));
    }
    EXPECT_EQ(m.state(), state);
    return m;
}

struct Outcome {
    bool applies;
    S next;
};

} // namespace

TEST(DriverLoadingViewModel, EveryStateAndEvent) {
    // The columns: the ten events, `observed` once for each thing the system may have installed.
    struct Column {
        const char *name;
        ViewEvent e;
    };
    const std::vector<Column> columns = {
        {"installPressed", event(K::installPressed)},
        {"needsUserApproval", event(K::needsUserApproval)},
        {"replacementAsked", event(K::replacementAsked)},
        {"replacementDecided", event(K::replacementDecided)},
        {"finished", event(K::finished)},
        {"failed", event(K::failed)},
        {"deactivatePressed", event(K::deactivatePressed)},
        {"deactivated", event(K::deactivated)},
        {"deactivationFailed", event(K::deactivationFailed)},
        {"observed none", event(K::observed, Installed::none)},
        {"observed waiting", event(K::observed, Installed::waitingForApproval)},
        {"observed enabled", event(K::observed, Installed::enabled)},
    };
    const bool y = true, n = false;
    const std::map<S, std::vector<Outcome>> table = {
        //                   install          approval          asked            decided
        //                   finished         failed            deactivate       deactivated
        //                   deact. failed    obs. none         obs. waiting     obs. enabled
        {S::notLoaded,      {{y, S::activating}, {n, S::notLoaded}, {n, S::notLoaded}, {n, S::notLoaded},
                             {n, S::notLoaded}, {n, S::notLoaded}, {n, S::notLoaded}, {n, S::notLoaded},
                             {n, S::notLoaded}, {n, S::notLoaded}, {y, S::needsApproval}, {y, S::activated}}},
        {S::activating,     {{n, S::activating}, {y, S::needsApproval}, {y, S::activating}, {n, S::activating},
                             {y, S::activated}, {y, S::activationError}, {n, S::activating}, {n, S::activating},
                             {n, S::activating}, {n, S::activating}, {n, S::activating}, {n, S::activating}}},
        {S::needsApproval,  {{n, S::needsApproval}, {y, S::needsApproval}, {n, S::needsApproval}, {n, S::needsApproval},
                             {y, S::activated}, {y, S::activationError}, {y, S::needsApproval}, {n, S::needsApproval},
                             {n, S::needsApproval}, {y, S::notLoaded}, {n, S::needsApproval}, {y, S::activated}}},
        {S::activated,      {{y, S::activating}, {n, S::activated}, {n, S::activated}, {n, S::activated},
                             {n, S::activated}, {n, S::activated}, {y, S::activated}, {n, S::activated},
                             {n, S::activated}, {y, S::notLoaded}, {y, S::needsApproval}, {n, S::activated}}},
        {S::activationError, {{y, S::activating}, {n, S::activationError}, {n, S::activationError}, {n, S::activationError},
                             {n, S::activationError}, {n, S::activationError}, {n, S::activationError}, {n, S::activationError},
                             {n, S::activationError}, {n, S::activationError}, {n, S::activationError}, {n, S::activationError}}},
    };
    ASSERT_EQ(table.size(), std::size(kAllDriverStates));
    for (S state : kAllDriverStates) {
        const auto &row = table.at(state);
        ASSERT_EQ(row.size(), columns.size());
        for (size_t c = 0; c < columns.size(); ++c) {
            DriverLoadingViewModel m = in(state);
            const bool applied = m.apply(columns[c].e);
            EXPECT_EQ(applied, row[c].applies) << state_key(state) << " × " << columns[c].name;
            EXPECT_EQ(m.state(), row[c].next) << state_key(state) << " × " << columns[c].name;
        }
    }
    // Every kind of event has a column.
    for (K kind : kAllViewEventKinds) {
        bool found = false;
        for (const Column &column : columns)
            found |= column.e.kind == kind;
        EXPECT_TRUE(found) << event_name(kind);
    }
}

TEST(DriverLoadingViewModel, LabelsAndTexts) {
    EXPECT_STREQ(state_label(S::notLoaded), "Not loaded");
    EXPECT_STREQ(state_label(S::activating), "Activating");
    EXPECT_STREQ(state_label(S::needsApproval), "Needs approval");
    EXPECT_STREQ(state_label(S::activated), "Activated");
    EXPECT_STREQ(state_label(S::activationError), "Activation error");
    EXPECT_STREQ(state_key(S::activationError), "activationError");
    for (S state : kAllDriverStates)
        EXPECT_FALSE(in(state).status_text().empty()) << state_key(state);
    // The approval text says who approves and how, here.
    EXPECT_NE(in(S::needsApproval).status_text().find("sudo netdextctl approve " + kId),
              std::string::npos);
    DriverLoadingViewModel m = in(S::activationError);
    EXPECT_EQ(m.error(), "ValidationFailed (9): the reason");
}

TEST(DriverLoadingViewModel, ButtonsFollowTheState) {
    EXPECT_TRUE(in(S::notLoaded).can_install());
    EXPECT_FALSE(in(S::notLoaded).can_deactivate());
    EXPECT_FALSE(in(S::activating).can_install());
    EXPECT_FALSE(in(S::activating).can_deactivate());
    EXPECT_FALSE(in(S::needsApproval).can_install());
    EXPECT_TRUE(in(S::needsApproval).can_deactivate());
    EXPECT_TRUE(in(S::activated).can_install()); // again: a newer version, or "already there"
    EXPECT_TRUE(in(S::activated).can_deactivate());
    EXPECT_TRUE(in(S::activationError).can_install());
    EXPECT_FALSE(in(S::activationError).can_deactivate()); // nothing is installed…
    DriverLoadingViewModel m = in(S::activationError);
    m.apply(event(K::observed, Installed::enabled)); // …unless an older version is
    EXPECT_EQ(m.state(), S::activationError);       // the error stays until the user acts
    EXPECT_TRUE(m.can_deactivate());
}

TEST(DriverLoadingViewModel, AReplacementQuestion) {
    DriverLoadingViewModel m = in(S::activating);
    ASSERT_TRUE(m.apply(event(K::replacementAsked)));
    ASSERT_TRUE(m.question());
    EXPECT_EQ(m.question()->installed, "1.0 (1)");
    EXPECT_EQ(m.question()->offered, "1.0 (2)");
    EXPECT_NE(m.status_text().find("choose"), std::string::npos);
    EXPECT_TRUE(m.apply(event(K::replacementDecided)));
    EXPECT_FALSE(m.question());
    EXPECT_FALSE(m.apply(event(K::replacementDecided))); // answered once
    // A question left open ends with the request.
    ASSERT_TRUE(m.apply(event(K::replacementAsked)));
    ASSERT_TRUE(m.apply(event(K::failed)));
    EXPECT_FALSE(m.question());
}

TEST(DriverLoadingViewModel, Deactivation) {
    DriverLoadingViewModel m = in(S::activated);
    ASSERT_TRUE(m.apply(event(K::deactivatePressed)));
    EXPECT_TRUE(m.deactivating());
    EXPECT_FALSE(m.can_install());
    EXPECT_FALSE(m.can_deactivate());
    EXPECT_FALSE(m.apply(event(K::observed, Installed::none))); // the request decides
    EXPECT_EQ(m.state(), S::activated);
    ASSERT_TRUE(m.apply(event(K::deactivated)));
    EXPECT_EQ(m.state(), S::notLoaded);
    EXPECT_FALSE(m.deactivating());

    DriverLoadingViewModel refused = in(S::activated);
    ASSERT_TRUE(refused.apply(event(K::deactivatePressed)));
    ViewEvent no{K::deactivationFailed};
    no.reason = "AuthorizationRequired (13): needs root";
    ASSERT_TRUE(refused.apply(no));
    EXPECT_EQ(refused.state(), S::activated);
    EXPECT_NE(refused.notice().find("AuthorizationRequired (13)"), std::string::npos);
    EXPECT_TRUE(refused.can_deactivate());
}

TEST(DriverLoadingViewModel, AnInstallationThatCompletesAfterARestart) {
    DriverLoadingViewModel m = in(S::activating);
    ViewEvent done{K::finished};
    done.after_reboot = true;
    ASSERT_TRUE(m.apply(done));
    EXPECT_EQ(m.state(), S::activated);
    EXPECT_NE(m.notice().find("restart"), std::string::npos);
}

TEST(DriverLoadingViewModel, ChangesMadeElsewhere) {
    // The app starts while an earlier request waits; an administrator approves; later someone
    // uninstalls it with netdextctl.
    DriverLoadingViewModel m(kId);
    ASSERT_TRUE(m.apply(event(K::observed, Installed::waitingForApproval)));
    EXPECT_EQ(m.state(), S::needsApproval);
    ASSERT_TRUE(m.apply(event(K::observed, Installed::enabled)));
    EXPECT_EQ(m.state(), S::activated);
    EXPECT_FALSE(m.apply(event(K::observed, Installed::enabled)));
    ASSERT_TRUE(m.apply(event(K::observed, Installed::none)));
    EXPECT_EQ(m.state(), S::notLoaded);
    EXPECT_EQ(m.installed(), Installed::none);
}
