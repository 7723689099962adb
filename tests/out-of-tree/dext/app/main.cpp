// An installer app built out of tree against the installed package: it finds its own bundle and
// asks a netdextd that is not there about its extension, as an app does at launch. Prints the
// bundle, then the failure the delegate got; exit 0 when both are what macOS would give.
#include <SystemExtensions/SystemExtensions.h>

#include <future>
#include <iostream>

namespace {

class Delegate : public OSSystemExtensionRequestDelegate {
public:
    std::promise<NSError> failed;
    OSSystemExtensionRequest::ReplacementAction
    actionForReplacingExtension(OSSystemExtensionRequest &, const OSSystemExtensionProperties &,
                                const OSSystemExtensionProperties &) override {
        return OSSystemExtensionReplacementActionReplace;
    }
    void requestNeedsUserApproval(OSSystemExtensionRequest &) override {}
    void didFinishWithResult(OSSystemExtensionRequest &, OSSystemExtensionRequestResult) override {}
    void didFailWithError(OSSystemExtensionRequest &, const NSError &error) override {
        failed.set_value(error);
    }
};

} // namespace

int main() {
    std::cout << "bundle " << netdext::sysext::main_bundle_path() << "\n";
    OSSystemExtensionManager manager({"/nonexistent/netdextd.sock", ""});
    auto delegate = std::make_shared<Delegate>();
    auto request = OSSystemExtensionRequest::propertiesRequestForExtension(
        "org.netdext.test.AppleStyleDriver", netdext::sysext::DispatchQueue::create("oot"));
    request->setDelegate(delegate);
    manager.submitRequest(request);
    NSError error = delegate->failed.get_future().get();
    std::cout << error.domain() << " " << error.code() << "\n";
    return error.domain() == NSCocoaErrorDomain && error.code() == NSXPCConnectionInvalid ? 0 : 1;
}
