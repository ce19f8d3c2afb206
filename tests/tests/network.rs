//! A shared network namespace ([`sandbox::SharedNetwork`]), made once and joined by many
//! sandboxes: each joined sandbox is in it, as `/proc/<pid>/ns/net` says from outside,
//! it has no interface but `lo`, and neither the host nor the process that made it is
//! in it. Making one needs `CAP_SYS_ADMIN`: as uid 65534 the kernel refuses, with the
//! error naming the step and the call.
//!
//! Each scenario runs in a fresh process, as root and as uid 65534.

mod common;

use common::*;
use sandbox::{Error, Namespaces, Sandbox, SetupError, SharedNetwork, Step};
use test_support::{ensure, ensure_eq, fail, skip, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        sandboxes_joining_a_shared_network_share_it_and_only_lo_apart_from_the_host,
        a_plain_user_cannot_make_a_shared_network,
    ])
}

fn sandboxes_joining_a_shared_network_share_it_and_only_lo_apart_from_the_host() -> TestResult {
    if !test_support::is_root() {
        skip!("making a network namespace and joining it need CAP_SYS_ADMIN (root)");
    }
    let host_net = ns(None, "net")?;
    let network = SharedNetwork::new()?;
    ensure_eq!(
        ns(None, "net")?,
        host_net,
        "this process's network namespace after making the shared one"
    );
    let id = network.id().map_err(test_support::failed)?;
    let shared_net = format!("net:[{}]", id.ino);
    ensure!(
        shared_net != host_net,
        "the shared network is the host's {host_net}"
    );
    // Two sandboxes, one after the other, each in a process of its own (a process enters
    // once): the kernel puts both in the one namespace.
    for sandbox_nr in 1..=2 {
        let network = network.clone();
        let shared_net = shared_net.clone();
        test_support::in_child(move || {
            let (_top, shared) = shared_dir()?;
            let sandbox = prepare(Sandbox::builder(&shared).join_shared_network(&network))?;
            ensure!(
                !sandbox.namespaces().contains(Namespaces::NET),
                "sandbox {sandbox_nr} plans a network namespace of its own"
            );
            drop(network);
            let out = run_inside_with(
                sandbox,
                0,
                |child| {
                    let pid = child.pid().as_raw_nonzero().get();
                    ensure_eq!(
                        ns(Some(pid), "net")?,
                        shared_net,
                        "the network namespace of sandbox {sandbox_nr}"
                    );
                    Ok(())
                },
                |_| Ok(format!("ifaces={}\n", interface_names()?.join(","))),
            )?;
            ensure_eq!(out.status.code(), 0, "exit code of sandbox {sandbox_nr}");
            ensure_eq!(
                need(&out.report, "ifaces")?,
                "lo",
                "the interfaces sandbox {sandbox_nr} sees"
            );
            Ok(())
        })?;
    }
    Ok(())
}

fn a_plain_user_cannot_make_a_shared_network() -> TestResult {
    if test_support::is_root() {
        skip!("root may make one (the other scenario); the refusal is a plain user's");
    }
    let host_net = ns(None, "net")?;
    match SharedNetwork::new() {
        Err(Error::Setup {
            step: Step::SharedNetwork,
            source: SetupError::Namespaces(sandbox_namespaces::Error::Unshare { namespaces, errno }),
            in_child: false,
            ..
        }) => {
            ensure_eq!(namespaces, Namespaces::NET, "the namespaces asked for");
            ensure_eq!(errno, rustix::io::Errno::PERM, "the kernel's answer");
        }
        Err(e) => fail!("not the unshare refusal: {e:?}"),
        Ok(n) => fail!("a plain user made a network namespace: {:?}", n.id()),
    }
    ensure_eq!(
        ns(None, "net")?,
        host_net,
        "this process's network namespace"
    );
    Ok(())
}
