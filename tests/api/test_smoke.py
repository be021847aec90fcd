from tests.api.conftest import training_body


def test_put_training_round_trip(world, as_employer):
    en = world.own.employer.enterprise_number
    r = as_employer.put(f"employers/{en}/trainings/NEW-1", training_body(world.own.worker.insz))
    assert r.status_code == 201, r.content
    r2 = as_employer.get(f"employers/{en}/trainings/NEW-1")
    assert r2.status_code == 200, r2.content
    print(r2.json(), r2["ETag"])
